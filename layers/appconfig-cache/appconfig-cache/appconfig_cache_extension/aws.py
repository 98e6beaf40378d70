"""AppConfigData through botocore: the Lambda runtime's own copy, imported only when first needed.

botocore costs about 100 ms to import; it is imported by the first fetch (a background thread
after registering), never before the extension has registered and bound its port. The client
honours ``AWS_ENDPOINT_URL_APPCONFIGDATA`` natively, so tests and real AWS run this same code.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from appconfig_cache_extension.plane import (
    BadRequest,
    NotFound,
    PlaneError,
    Poll,
    Throttled,
    TimedOut,
    TokenRejected,
    Unavailable,
)

if TYPE_CHECKING:
    from appconfig_cache_extension.settings import ConfigKey, Settings

# Older Python runtimes keep the SDK in /var/runtime, which is on the runtime's path, not ours.
_RUNTIME_SDK = "/var/runtime"
MIN_POLL_S, MAX_POLL_S = 15, 86400


def _import_botocore() -> None:
    try:
        import botocore
    except ImportError:
        if os.path.isdir(_RUNTIME_SDK) and _RUNTIME_SDK not in sys.path:
            sys.path.append(_RUNTIME_SDK)
        import botocore  # noqa: F401


class BotocorePlane:
    """AppConfigData with one client per process; made lazily and thread-safely on first use."""

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        self._settings = settings
        self._env = os.environ if env is None else env
        self._client: Any = None
        self._lock = threading.Lock()

    def start_session(self, key: ConfigKey) -> str:
        response = self._call(
            "start_configuration_session",
            ApplicationIdentifier=key.application,
            EnvironmentIdentifier=key.environment,
            ConfigurationProfileIdentifier=key.profile,
            # AppConfig answers NextPollIntervalInSeconds = this minimum (60 s without one), and the
            # cache never polls sooner: ask for the configured interval, within AppConfig's range.
            RequiredMinimumPollIntervalInSeconds=min_poll_interval(self._settings.poll_interval_s),
        )
        return str(response["InitialConfigurationToken"])

    def get_latest(self, token: str) -> Poll:
        response = self._call("get_latest_configuration", ConfigurationToken=token)
        try:
            content = response["Configuration"].read()
        except Exception as error:  # a body cut short or stalled is one failed poll
            raise _translate(error) from error
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        return Poll(
            content=content,
            content_type=response.get("ContentType") or "application/octet-stream",
            next_token=response["NextPollConfigurationToken"],
            next_poll_s=float(response.get("NextPollIntervalInSeconds") or 0),
            version=headers.get("configuration-version"),
            label=response.get("VersionLabel") or None,
        )

    def _call(self, operation: str, **params: Any) -> Any:
        try:
            client = self.client()
            return getattr(client, operation)(**params)
        except PlaneError:
            raise
        except Exception as error:
            raise _translate(error) from error

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> Any:
        _import_botocore()
        import botocore.session
        from botocore.config import Config

        settings = self._settings
        session = botocore.session.Session()
        region = settings.service_region or self._env.get("AWS_REGION") or self._env.get("AWS_DEFAULT_REGION")
        config = Config(
            connect_timeout=settings.poll_timeout_s,
            read_timeout=settings.poll_timeout_s,
            # The cache decides when to try again (backoff, serve the last good copy); botocore's
            # own retries would multiply the time a waiting request is held.
            retries={"total_max_attempts": 1},
            max_pool_connections=settings.max_connections,
            proxies={"http": settings.proxy_url, "https": settings.proxy_url} if settings.proxy_url else None,
            user_agent_extra="appconfig-cache-extension",
        )
        if settings.role_arn:
            from appconfig_cache_extension.role import use_assumed_role

            use_assumed_role(session, settings, region=region, config=config)
        return session.create_client("appconfigdata", region_name=region, config=config)


def min_poll_interval(poll_interval_s: float) -> int:
    """RequiredMinimumPollIntervalInSeconds accepts 15 to 86,400."""
    return max(MIN_POLL_S, min(MAX_POLL_S, math.ceil(poll_interval_s)))


def _translate(error: Exception) -> PlaneError:  # noqa: PLR0911 - one return per failure kind
    """Map a botocore failure onto the kind the cache acts on."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        NoCredentialsError,
        NoRegionError,
        ReadTimeoutError,
    )

    if isinstance(error, ReadTimeoutError | ConnectTimeoutError | TimeoutError):
        return TimedOut(f"AppConfig did not answer in time: {type(error).__name__}")
    if isinstance(error, NoCredentialsError | NoRegionError):
        return Unavailable(f"cannot call AppConfig: {error}")
    if not isinstance(error, ClientError):
        return Unavailable(f"AppConfig unreachable: {type(error).__name__}: {error}")
    response: dict[str, Any] = dict(error.response)
    info = response.get("Error", {})
    code, message = info.get("Code", ""), info.get("Message", "")
    if code == "BadRequestException":
        problems = response.get("Details", {}).get("InvalidParameters", {})
        kinds = {str(p.get("Problem")) for p in problems.values() if isinstance(p, dict)}
        if kinds & {"Corrupted", "Expired"}:
            return TokenRejected(f"configuration token rejected: {', '.join(sorted(kinds))}")
        if "PollIntervalNotSatisfied" in kinds:
            return Throttled("polled sooner than AppConfig allows")
        return BadRequest(f"AppConfig refused the request: {message}")
    if code == "ResourceNotFoundException":
        return NotFound(f"not found in AppConfig: {message}")
    if code in {"ThrottlingException", "TooManyRequestsException"}:
        return Throttled("throttled by AppConfig")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return Unavailable(f"AppConfig failed: {code or status}: {message}")
