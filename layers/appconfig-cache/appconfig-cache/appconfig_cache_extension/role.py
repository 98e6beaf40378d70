"""Cross-account reads (``ROLE_ARN``): AppConfig calls signed with an assumed role's credentials.

botocore's refreshable credentials renew themselves before they expire (15 minutes ahead, and
block only in the last 10), so a long-lived execution environment never signs with stale keys.
STS is called through the function's own credentials and honours ``AWS_ENDPOINT_URL_STS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appconfig_cache_extension.settings import Settings

ROLE_DURATION_S = 3600


def use_assumed_role(session: Any, settings: Settings, *, region: str | None, config: Any) -> None:
    """Make every client of ``session`` (which must have made none yet) sign as ``settings.role_arn``."""
    import botocore.session
    from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

    # STS is called from a session of its own, with the function's credentials.
    sts: Any = botocore.session.Session().create_client("sts", region_name=region, config=config)

    def fetch() -> dict[str, str]:
        params: dict[str, Any] = {
            "RoleArn": settings.role_arn,
            "RoleSessionName": settings.role_session_name,
            "DurationSeconds": ROLE_DURATION_S,
        }
        if settings.role_external_id:
            params["ExternalId"] = settings.role_external_id
        credentials = sts.assume_role(**params)["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    class AssumedRole(CredentialProvider):
        METHOD = "appconfig-extension-assume-role"

        def load(self) -> Any:
            return RefreshableCredentials.create_from_metadata(fetch(), fetch, self.METHOD)

    session.register_component("credential_provider", CredentialResolver(providers=[AssumedRole()]))
