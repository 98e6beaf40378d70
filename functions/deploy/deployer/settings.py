"""The deploy function's settings: the variables ``template.yaml`` sets, read once at init
(``function_settings`` says why and how a missing one fails). The stack's configurations and
stages (with their IDs) are a :class:`rollout_status.layout.Layout`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from function_settings import SettingsError, required
from function_settings.stack import layout

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rollout_status.layout import Layout

# Each variable and what the template puts in it, for the error message.
VARIABLES = {
    "APPCONFIG_DEPLOYMENT_STRATEGY_ID": "the deployment strategy's ID or predefined name",
    "DEPLOY_QUEUE_URL": "the deploy queue's URL (a busy stage's request is held there)",
    "DEPLOY_QUEUE_MAX_RECEIVES": "the deploy queue's maxReceiveCount (the last receive marks it failed)",
}
# Set only when the stack has a customer managed key (parameter KmsKeyArn).
KMS_KEY = "APPCONFIG_KMS_KEY_IDENTIFIER"


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
        """Raises :class:`function_settings.SettingsError` naming the first variable missing or blank."""
        stack = layout(env)
        strategy_id, queue_url, receives = required(env, VARIABLES)
        if not receives.isdigit() or int(receives) < 1:
            raise SettingsError(
                "DEPLOY_QUEUE_MAX_RECEIVES",
                f"{receives!r}, not a positive whole number",
                VARIABLES["DEPLOY_QUEUE_MAX_RECEIVES"],
            )
        return cls(
            layout=stack,
            strategy_id=strategy_id,
            queue_url=queue_url,
            max_receives=int(receives),
            kms_key_identifier=env.get(KMS_KEY) or None,
        )
