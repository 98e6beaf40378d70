"""This consumer's settings: which configuration it reads, as ``template.yaml`` sets it, read once
at init. A missing or blank variable fails Init with an error that names it; there is no
fallback name, which would read some other configuration (or none) without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# Each variable and what the template puts in it, for the error message.
VARIABLES = {
    "APPCONFIG_APPLICATION": "the AppConfig application's name (parameter AppConfigApplicationName)",
    "APPCONFIG_ENVIRONMENT": "the AppConfig environment's name (parameter AppConfigEnvironmentName)",
    "APPCONFIG_PROFILE": "the configuration profile's name (parameter ConfigKey)",
}


class SettingsError(ValueError):
    """A variable the function needs is missing or blank."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(
            f"{variable} is {problem}: it must hold {VARIABLES[variable]} (template.yaml sets it)"
        )


@dataclass(frozen=True)
class Settings:
    """The configuration this function reads through the extension, by names (or IDs)."""

    application: str
    environment: str
    profile: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        """Raises :class:`SettingsError` naming the first variable that is missing or blank."""
        application, environment, profile = (_required(env, name) for name in VARIABLES)
        return cls(application, environment, profile)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if value is None:
        raise SettingsError(name, "not set")
    if not value.strip() or value != value.strip():
        raise SettingsError(name, f"{value!r}, blank or padded with spaces")
    return value
