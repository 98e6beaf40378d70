"""The status function's settings: the variables ``template.yaml`` sets, read once at init
(``function_settings`` says why and how a missing one fails)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from function_settings import SettingsError, required
from function_settings.stack import layout

from status_listener.promotions import AUTO, MANUAL

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rollout_status.layout import Layout

# Each variable and what the template puts in it, for the error message.
VARIABLES = {
    "PROMOTION_APPROVAL": f"{AUTO} or {MANUAL} (parameter PromotionApproval)",
    "DEPLOY_QUEUE_URL": "the deploy queue's URL (where a promotion is queued for the next stage)",
}


@dataclass(frozen=True)
class Settings:
    layout: Layout
    promotion_approval: str
    """``auto`` or ``manual`` (the template's PromotionApproval)."""
    deploy_queue_url: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Raises :class:`function_settings.SettingsError` naming the first variable missing or blank."""
        stack = layout(env)
        approval, queue_url = required(env, VARIABLES)
        if approval not in (AUTO, MANUAL):
            raise SettingsError("PROMOTION_APPROVAL", repr(approval), VARIABLES["PROMOTION_APPROVAL"])
        return cls(stack, approval, queue_url)
