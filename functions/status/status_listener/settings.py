"""The function's environment, read once and checked at init: a missing or empty variable fails
the cold start with its name, not a later invocation with a KeyError."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rollout_status.layout import Layout, LayoutError

from status_listener.promotions import AUTO, MANUAL

if TYPE_CHECKING:
    from collections.abc import Mapping


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    layout: Layout
    promotion_approval: str
    """``auto`` or ``manual`` (the template's PromotionApproval)."""
    deploy_queue_url: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        try:
            layout = Layout.from_environment(environ)
        except LayoutError as error:
            raise SettingsError(f"the status function: {error}") from error
        approval = environ.get("PROMOTION_APPROVAL", "")
        if approval not in (AUTO, MANUAL):
            raise SettingsError(f"PROMOTION_APPROVAL must be {AUTO} or {MANUAL}, not {approval!r}")
        if not environ.get("DEPLOY_QUEUE_URL"):
            raise SettingsError("the status function needs DEPLOY_QUEUE_URL set")
        return cls(layout, approval, environ["DEPLOY_QUEUE_URL"])
