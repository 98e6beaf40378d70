"""The status function's settings: the variables ``template.yaml`` sets, read once at init
(``function_settings`` says why and how a missing one fails)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from function_settings import CONFIGURATION, required

if TYPE_CHECKING:
    from collections.abc import Mapping

# Each variable and what the template puts in it, for the error message.
VARIABLES = CONFIGURATION


@dataclass(frozen=True)
class Settings:
    bucket: str
    key: str
    application_id: str
    environment_id: str
    environment_name: str
    profile_id: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Raises :class:`function_settings.SettingsError` naming the first variable missing or blank."""
        return cls(*required(env, VARIABLES))
