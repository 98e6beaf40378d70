"""The deploy function's settings: the variables ``template.yaml`` sets, read once at init.

A missing or blank variable fails the function's Init with an error that names it, instead of
a ``KeyError`` in the middle of an invocation (and a request retried for nothing). The stack's
configurations and stages (with their IDs) are a :class:`rollout_status.layout.Layout`.
"""

from __future__ import annotations

from dataclasses import dataclass
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

if TYPE_CHECKING:
    from collections.abc import Mapping

# Each variable and what the template puts in it, for the error message.
VARIABLES = {
    "CONFIG_BUCKET": "the configuration bucket's name",
    "CONFIGURATIONS": "the configurations' file names, comma-separated (parameter Configurations)",
    "ENVIRONMENTS": "the stages' AppConfig environment names in promotion order (parameter Environments)",
    "APPCONFIG_APPLICATION_ID": "the AppConfig application's ID",
    "APPCONFIG_DEPLOYMENT_STRATEGY_ID": "the deployment strategy's ID or predefined name",
    "DEPLOY_QUEUE_URL": "the deploy queue's URL (a busy stage's request is held there)",
    "DEPLOY_QUEUE_MAX_RECEIVES": "the deploy queue's maxReceiveCount (the last receive marks it failed)",
}
# May be empty (no folder): the keys are then the file names.
PREFIX = "CONFIG_PREFIX"
# Set only when the stack has a customer managed key (parameter KmsKeyArn).
KMS_KEY = "APPCONFIG_KMS_KEY_IDENTIFIER"


class SettingsError(ValueError):
    """A variable the function needs is missing or blank."""

    def __init__(self, variable: str, problem: str, meaning: str | None = None) -> None:
        self.variable = variable
        super().__init__(
            f"{variable} is {problem}: it must hold {meaning or VARIABLES[variable]} (template.yaml sets it)"
        )


@dataclass(frozen=True)
class Settings:
    layout: Layout
    strategy_id: str
    queue_url: str
    max_receives: int
    kms_key_identifier: str | None = None
    """The key StartDeployment names for S3 objects encrypted with a customer managed key."""

    @property
    def bucket(self) -> str:
        return self.layout.bucket

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        """Raises :class:`SettingsError` naming the first variable that is missing or blank."""
        bucket, configurations, environments, application_id, strategy_id, queue_url, receives = (
            _required(env, name) for name in VARIABLES
        )
        if not receives.isdigit() or int(receives) < 1:
            raise SettingsError("DEPLOY_QUEUE_MAX_RECEIVES", f"{receives!r}, not a positive whole number")
        prefix = env.get(PREFIX, "")
        config_names = _names(configurations, "CONFIGURATIONS")
        stage_names = _names(environments, "ENVIRONMENTS")
        layout = Layout(
            bucket=bucket,
            application_id=application_id,
            configurations=tuple(
                Configuration(
                    n, prefix + n, _required(env, variable(PROFILE_ID_PREFIX, n), f"the ID of {n}'s profile")
                )
                for n in config_names
            ),
            stages=tuple(
                Stage(n, _required(env, variable(ENVIRONMENT_ID_PREFIX, n), f"the ID of environment {n}"), i)
                for i, n in enumerate(stage_names)
            ),
        )
        return cls(
            layout=layout,
            strategy_id=strategy_id,
            queue_url=queue_url,
            max_receives=int(receives),
            kms_key_identifier=env.get(KMS_KEY) or None,
        )


def _names(value: str, name: str) -> list[str]:
    listed = names(value)
    if "" in listed or len(set(listed)) != len(listed):
        raise SettingsError(name, f"{value!r}, with an empty or repeated name")
    return listed


def _required(env: Mapping[str, str], name: str, meaning: str | None = None) -> str:
    value = env.get(name)
    if value is None:
        raise SettingsError(name, "not set", meaning)
    if not value.strip() or value != value.strip():
        raise SettingsError(name, f"{value!r}, blank or padded with spaces", meaning)
    return value
