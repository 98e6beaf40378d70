"""A consumer's settings: which configuration it reads through the extension, by names (or IDs).

Every consumer the template declares reads the same three variables; there is no fallback name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from function_settings import required

if TYPE_CHECKING:
    from collections.abc import Mapping

# Each variable and what the template puts in it, for the error message.
VARIABLES = {
    "APPCONFIG_APPLICATION": "the AppConfig application's name (parameter AppConfigApplicationName)",
    "APPCONFIG_ENVIRONMENT": "the stage's AppConfig environment name (one of the parameter Environments)",
    "APPCONFIG_PROFILE": "the configuration profile's name (the first of the parameter Configurations)",
}


@dataclass(frozen=True)
class Settings:
    application: str
    environment: str
    profile: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        """Raises :class:`function_settings.SettingsError` naming the first variable missing or blank."""
        application, environment, profile = required(env, VARIABLES)
        return cls(application, environment, profile)
