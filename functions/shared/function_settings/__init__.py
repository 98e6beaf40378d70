"""What every function's settings share: the variables ``template.yaml`` sets, read once at init.

A missing, blank or padded variable fails the function's Init with an error that names it and
says what it must hold, instead of a ``KeyError`` in the middle of an invocation (and an event
retried for nothing) or a fallback value that would quietly read some other configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# The configuration object and the AppConfig resources it deploys into, as the template tells the
# functions that write its statuses (deploy, status); each variable with what it holds.
CONFIGURATION = {
    "CONFIG_BUCKET": "the configuration bucket's name",
    "CONFIG_KEY": "the configuration object's key (ConfigPrefix + ConfigKey)",
    "APPCONFIG_APPLICATION_ID": "the AppConfig application's ID",
    "APPCONFIG_ENVIRONMENT_ID": "the AppConfig environment's ID",
    "APPCONFIG_ENVIRONMENT_NAME": "the AppConfig environment's name (statuses are kept per environment)",
    "APPCONFIG_PROFILE_ID": "the configuration profile's ID",
}


class SettingsError(ValueError):
    """A variable the function needs is missing, blank or padded with spaces."""

    def __init__(self, variable: str, problem: str, meaning: str) -> None:
        self.variable = variable
        super().__init__(f"{variable} is {problem}: it must hold {meaning} (template.yaml sets it)")


def required(env: Mapping[str, str], variables: Mapping[str, str]) -> list[str]:
    """The value of each of ``variables`` (name: what the template puts in it), in their order;
    raises :class:`SettingsError` naming the first one missing, blank or padded."""
    return [_value(env, name, meaning) for name, meaning in variables.items()]


def _value(env: Mapping[str, str], name: str, meaning: str) -> str:
    value = env.get(name)
    if value is None:
        raise SettingsError(name, "not set", meaning)
    if not value.strip() or value != value.strip():
        raise SettingsError(name, f"{value!r}, blank or padded with spaces", meaning)
    return value
