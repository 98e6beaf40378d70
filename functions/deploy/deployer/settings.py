"""The deploy function's settings: the variables ``template.yaml`` sets, read once at init
(``function_settings`` says why and how a missing one fails)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from function_settings import CONFIGURATION, required

if TYPE_CHECKING:
    from collections.abc import Mapping

# Each variable and what the template puts in it, for the error message.
VARIABLES = {
    **CONFIGURATION,
    "APPCONFIG_DEPLOYMENT_STRATEGY_ID": "the deployment strategy's ID or predefined name",
}
# Set only when the stack has a customer managed key (parameter KmsKeyArn).
KMS_KEY = "APPCONFIG_KMS_KEY_IDENTIFIER"


@dataclass(frozen=True)
class Settings:
    bucket: str
    key: str
    application_id: str
    environment_id: str
    environment_name: str
    profile_id: str
    strategy_id: str
    kms_key_identifier: str | None = None
    """The key StartDeployment names for S3 objects encrypted with a customer managed key."""

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        """Raises :class:`function_settings.SettingsError` naming the first variable missing or blank."""
        bucket, key, application_id, environment_id, environment_name, profile_id, strategy_id = required(
            env, VARIABLES
        )
        return cls(
            bucket=bucket,
            key=key,
            application_id=application_id,
            environment_id=environment_id,
            environment_name=environment_name,
            profile_id=profile_id,
            strategy_id=strategy_id,
            kms_key_identifier=env.get(KMS_KEY) or None,
        )
