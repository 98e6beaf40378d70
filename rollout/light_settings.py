"""Whether ``rollout push`` may take its light path, and the settings it then uses.

The light path (``rollout.light``) makes the three calls of ``push --wait`` (DescribeStacks,
PutObject, the record's GetObject) with the extension's own SigV4 signer and HTTP client,
without botocore's import and client models. It must behave exactly as botocore would, so it is
taken only where every setting botocore would read is one it follows:

* **pure**: credentials in ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (botocore's first
  credential provider, so nothing after it in the chain matters), the Region from ``--region``
  or ``AWS_DEFAULT_REGION`` (botocore does not read ``AWS_REGION``), and no shared config or
  credentials file with anything in it (botocore would read a profile's settings from them);
* **session**: otherwise botocore's own session resolves the credentials (its whole chain:
  profiles, SSO, roles, containers, instance metadata) and the profile's configuration, without
  loading any client model, and the light path signs with what it found; a profile setting
  outside ``HARMLESS_CONFIG_KEYS`` (endpoints, FIPS, S3 addressing, ...) means botocore instead.

Every environment variable botocore reads is classified in ``ENVIRONMENT``; a unit test fails
when botocore starts reading one that is not. Variables that change these calls in a way the
light path does not follow (FIPS or dual-stack endpoints, a non-legacy defaults mode, proxies,
custom models, client-side monitoring ...) mean botocore for the whole command.
"""

from __future__ import annotations

import os
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from appconfig_cache_extension.sigv4 import Credentials

USED = "used"
"""Read by the light path, as botocore reads it."""
IGNORED = "ignored"
"""Changes nothing in these three calls (it serves other services, or credential providers that
come after the environment's, or the User-Agent's platform part)."""
BOTOCORE = "botocore"
"""Changes these calls in a way the light path does not follow: set, it means botocore."""

# Every AWS_* variable botocore 1.44 reads (``BOTOCORE_DEFAUT_SESSION_VARIABLES``, the credential
# providers, the S3 settings) and what it means here; AWS_ENDPOINT_URL_<SERVICE> are `ENDPOINT_*`.
ENVIRONMENT: dict[str, str | Callable[[str], bool]] = {
    "AWS_ACCESS_KEY_ID": USED,
    "AWS_SECRET_ACCESS_KEY": USED,
    "AWS_SESSION_TOKEN": USED,
    "AWS_SECURITY_TOKEN": USED,
    "AWS_DEFAULT_REGION": USED,
    "AWS_CA_BUNDLE": USED,
    "AWS_CONFIG_FILE": USED,
    "AWS_SHARED_CREDENTIALS_FILE": USED,
    "AWS_ENDPOINT_URL": USED,
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": USED,
    "AWS_PROFILE": USED,
    "AWS_DEFAULT_PROFILE": USED,
    # Values botocore accepts (it lower-cases them); anything else is its error to raise.
    "AWS_REQUEST_CHECKSUM_CALCULATION": lambda v: v.lower() in {"when_supported", "when_required"},
    "AWS_RESPONSE_CHECKSUM_VALIDATION": lambda v: v.lower() in {"when_supported", "when_required"},
    "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT": lambda v: v in {"legacy", "regional"},
    # Booleans as botocore's ensure_boolean reads them: only "true" (any case) switches them on.
    "AWS_USE_FIPS_ENDPOINT": lambda v: v.lower() != "true",
    "AWS_USE_DUALSTACK_ENDPOINT": lambda v: v.lower() != "true",
    "AWS_CSM_ENABLED": lambda v: v.lower() != "true",
    "AWS_DEFAULTS_MODE": lambda v: v == "legacy",
    # An expiry makes botocore refresh the environment's credentials: its own business.
    "AWS_CREDENTIAL_EXPIRATION": BOTOCORE,
    "AWS_DATA_PATH": BOTOCORE,  # models of one's own may change any operation
    "AWS_SDK_UA_APP_ID": BOTOCORE,  # an application ID botocore puts in the User-Agent
    "AWS_AUTH_SCHEME_PREFERENCE": BOTOCORE,
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": lambda v: v in {"preferred", "disabled", "required"},
    # Only for services other than S3 and CloudFormation, or only for credential providers
    # after the environment's, or only for S3 access point / Express buckets (which are never
    # taken light: their names are not plain bucket names).
    "AWS_REGION": IGNORED,  # botocore reads it only in the "auto" defaults mode (not legacy)
    "AWS_ACCOUNT_ID": IGNORED,
    "AWS_STS_REGIONAL_ENDPOINTS": IGNORED,
    "AWS_RETRY_MODE": IGNORED,  # the command's own retry configuration overrides both
    "AWS_MAX_ATTEMPTS": IGNORED,
    "AWS_ENDPOINT_DISCOVERY_ENABLED": IGNORED,
    "AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES": IGNORED,
    "AWS_DISABLE_REQUEST_COMPRESSION": IGNORED,
    "AWS_DISABLE_HOST_PREFIX_INJECTION": IGNORED,
    "AWS_SIGV4A_SIGNING_REGION_SET": IGNORED,
    "AWS_S3_USE_ARN_REGION": IGNORED,
    "AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS": IGNORED,
    "AWS_S3_DISABLE_EXPRESS_SESSION_AUTH": IGNORED,
    "AWS_CSM_PORT": IGNORED,
    "AWS_CSM_HOST": IGNORED,
    "AWS_CSM_CLIENT_ID": IGNORED,
    "AWS_EXECUTION_ENV": IGNORED,
    "AWS_LAMBDA_FUNCTION_NAME": IGNORED,
    "AWS_METADATA_SERVICE_TIMEOUT": IGNORED,
    "AWS_METADATA_SERVICE_NUM_ATTEMPTS": IGNORED,
    "AWS_EC2_METADATA_DISABLED": IGNORED,
    "AWS_EC2_METADATA_SERVICE_ENDPOINT": IGNORED,
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": IGNORED,
    "AWS_EC2_METADATA_V1_DISABLED": IGNORED,
    "AWS_IMDS_USE_IPV6": IGNORED,
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": IGNORED,
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": IGNORED,
    "AWS_CONTAINER_AUTHORIZATION_TOKEN": IGNORED,
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": IGNORED,
    "AWS_WEB_IDENTITY_TOKEN_FILE": IGNORED,
    "AWS_ROLE_ARN": IGNORED,
    "AWS_ROLE_SESSION_NAME": IGNORED,
    "AWS_CREDENTIAL_FILE": IGNORED,
    "AWS_LOGIN_CACHE_DIRECTORY": IGNORED,
}
ENDPOINT_VARIABLES = {"s3": "S3", "cloudformation": "CLOUDFORMATION"}
"""The ``AWS_ENDPOINT_URL_<SERVICE>`` suffixes of the two services ("Identifiers for
service-specific endpoints", https://docs.aws.amazon.com/sdkref/latest/guide/ss-endpoints-table.html)."""

# Keys of a profile that leave these calls as the light path makes them: credentials (botocore
# resolves them), what other services or tools read, and the settings read through the session.
HARMLESS_CONFIG_KEYS = frozenset(
    {
        "region",
        "output",
        "ca_bundle",
        "request_checksum_calculation",
        "response_checksum_validation",
        "retry_mode",
        "max_attempts",
        "sts_regional_endpoints",
        "tcp_keepalive",
        "parameter_validation",
        "endpoint_discovery_enabled",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_security_token",
        "aws_account_id",
        "aws_credential_expiration",
        "role_arn",
        "source_profile",
        "credential_source",
        "external_id",
        "mfa_serial",
        "role_session_name",
        "duration_seconds",
        "web_identity_token_file",
        "credential_process",
        "sso_session",
        "sso_account_id",
        "sso_role_name",
        "sso_region",
        "sso_start_url",
        "sso_registration_scopes",
        "login_session",
        "metadata_service_timeout",
        "metadata_service_num_attempts",
        "ec2_metadata_service_endpoint",
        "ec2_metadata_service_endpoint_mode",
        "ec2_metadata_v1_disabled",
        "imds_use_ipv6",
        "cli_pager",
        "cli_timestamp_format",
        "cli_follow_urlparam",
        "cli_binary_format",
        "cli_auto_prompt",
        "cli_history",
        "cli_help_output",
    }
)
# What botocore's validate_region_name accepts, narrowed to the Region names that partitions
# know by pattern (us-east-1, cn-north-1, us-gov-west-1, ...): anything else is botocore's.
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d+")
CONNECT_TIMEOUT, READ_TIMEOUT = 5.0, 20.0
"""botocore's ``connect_timeout`` and ``read_timeout`` in the command's configuration."""


class Settings:
    """What the light path signs with and where it sends."""

    def __init__(
        self,
        *,
        region: str,
        credentials: Callable[[], Credentials],
        env: Mapping[str, str],
        ca_bundle: str | None = None,
        request_checksum: str = "when_supported",
        response_checksum: str = "when_supported",
        session: Any = None,
    ) -> None:
        self.region = region
        self.credentials = credentials
        """Called for every request: botocore's refreshable credentials renew themselves."""
        self.env = env
        self.ca_bundle = ca_bundle
        self.request_checksum = request_checksum
        self.response_checksum = response_checksum
        self.session = session
        """botocore's session when it resolved the credentials (the fallback clients share it)."""

    @property
    def us_east_1_regional(self) -> bool:
        """Whether S3 in us-east-1 uses its regional endpoint (botocore's default: the global one)."""
        return self.env.get("AWS_S3_US_EAST_1_REGIONAL_ENDPOINT") == "regional"


def resolve(env: Mapping[str, str], region: str | None = None) -> Settings | None:
    """The light path's settings, or None when botocore must make the calls."""
    if not _environment_allows(env):
        return None
    if _pure(env):
        region = region or env.get("AWS_DEFAULT_REGION")
        if not region or not _REGION.fullmatch(region):
            return None
        from appconfig_cache_extension.credentials import EnvironmentCredentials

        return Settings(
            region=region,
            credentials=EnvironmentCredentials(env).get,
            env=env,
            ca_bundle=env.get("AWS_CA_BUNDLE") or None,
            request_checksum=env.get("AWS_REQUEST_CHECKSUM_CALCULATION", "when_supported").lower(),
            response_checksum=env.get("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_supported").lower(),
        )
    return _from_session(env, region)


def classify(name: str, value: str) -> bool:
    """Whether ``name=value`` in the environment leaves the light path usable."""
    rule = ENVIRONMENT.get(name)
    if rule is None:
        # Proxies: botocore (urllib's getproxies) honours any *_proxy variable, in any case;
        # NO_PROXY alone changes nothing.
        lower = name.lower()
        return not (lower.endswith("_proxy") and lower != "no_proxy" and value)
    if rule == BOTOCORE:
        return False
    if callable(rule):
        return rule(value)
    return True


def _environment_allows(env: Mapping[str, str]) -> bool:
    return all(classify(name, value) for name, value in env.items())


def _pure(env: Mapping[str, str]) -> bool:
    """Credentials in the environment, no profile named, no shared file with anything in it."""
    if not env.get("AWS_ACCESS_KEY_ID") or not env.get("AWS_SECRET_ACCESS_KEY"):
        return False
    if env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE"):
        return False
    if "AWS_SESSION_TOKEN" in env and not env["AWS_SESSION_TOKEN"] and env.get("AWS_SECURITY_TOKEN"):
        return False  # botocore takes the empty one (the first present), the extension's reader the other
    files = (
        env.get("AWS_CONFIG_FILE") or "~/.aws/config",
        env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials",
    )
    return not any(_has_content(path) for path in files)


def _has_content(path: str) -> bool:
    """botocore reads a shared file only if it is a regular file (``/dev/null`` is not)."""
    expanded = os.path.expanduser(os.path.expandvars(path))
    try:
        return os.path.isfile(expanded) and os.path.getsize(expanded) > 0
    except OSError:
        return False


def _from_session(env: Mapping[str, str], region: str | None) -> Settings | None:
    """botocore's session resolves the credentials and the profile (no client model loaded)."""
    if env.get("AWS_ACCESS_KEY_ID") and not env.get("AWS_SECRET_ACCESS_KEY"):
        return None  # botocore's PartialCredentialsError, raised by botocore
    import botocore.session
    from botocore.exceptions import BotoCoreError

    session = botocore.session.get_session()
    try:
        scoped = session.get_scoped_config()
        if set(scoped) - HARMLESS_CONFIG_KEYS:
            return None
        region = region or session.get_config_variable("region")
        if not region or not _REGION.fullmatch(region):
            return None
        found = session.get_credentials()
        checksums = [
            str(session.get_config_variable(name) or "when_supported").lower()
            for name in ("request_checksum_calculation", "response_checksum_validation")
        ]
    except BotoCoreError:
        return None  # a profile that does not exist, a file that does not parse: botocore says so
    if found is None or any(value not in {"when_supported", "when_required"} for value in checksums):
        return None
    from appconfig_cache_extension.sigv4 import Credentials

    def credentials() -> Credentials:
        frozen = found.get_frozen_credentials()
        return Credentials(str(frozen.access_key), str(frozen.secret_key), frozen.token)

    return Settings(
        region=region,
        credentials=credentials,
        env=env,
        ca_bundle=session.get_config_variable("ca_bundle") or None,
        request_checksum=checksums[0],
        response_checksum=checksums[1],
        session=session,
    )
