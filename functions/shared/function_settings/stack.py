"""The stack's configurations and stages, for the functions that deploy them and write their
statuses (deploy, status): the consumers carry no ``rollout_status``, so this is not imported by
the package itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollout_status.layout import (
    ENVIRONMENT_ID_PREFIX,
    PROFILE_ID_PREFIX,
    Configuration,
    Layout,
    Stage,
    names,
    variable,
)

from function_settings import SettingsError, required, value

if TYPE_CHECKING:
    from collections.abc import Mapping

# The configurations and stages the template hands the functions that deploy them and write their
# statuses (deploy, status); each variable with what it holds. Each configuration's profile ID and
# each stage's environment ID follow in a variable named after it (see :func:`layout`).
CONFIGURATION = {
    "CONFIG_BUCKET": "the configuration bucket's name",
    "CONFIGURATIONS": "the configurations' file names, comma-separated (parameter Configurations)",
    "ENVIRONMENTS": "the stages' AppConfig environment names in promotion order (parameter Environments)",
    "APPCONFIG_APPLICATION_ID": "the AppConfig application's ID",
}
# May be empty (no folder): the keys are then the file names.
PREFIX = "CONFIG_PREFIX"


def layout(env: Mapping[str, str]) -> Layout:
    """The stack's configurations and stages with their IDs; raises :class:`SettingsError` naming
    the first variable missing, blank or padded, or a list with an empty or repeated name."""
    bucket, configurations, environments, application_id = required(env, CONFIGURATION)
    prefix = env.get(PREFIX, "")
    return Layout(
        bucket=bucket,
        application_id=application_id,
        configurations=tuple(
            Configuration(
                n, prefix + n, value(env, variable(PROFILE_ID_PREFIX, n), f"the ID of {n}'s profile")
            )
            for n in _names("CONFIGURATIONS", configurations)
        ),
        stages=tuple(
            Stage(n, value(env, variable(ENVIRONMENT_ID_PREFIX, n), f"the ID of environment {n}"), i)
            for i, n in enumerate(_names("ENVIRONMENTS", environments))
        ),
    )


def _names(name: str, joined: str) -> list[str]:
    listed = names(joined)
    if "" in listed or len(set(listed)) != len(listed):
        raise SettingsError(name, f"{joined!r}, with an empty or repeated name", CONFIGURATION[name])
    return listed
