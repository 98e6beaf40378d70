"""AppConfigData's two calls on the wire, without botocore: REST-JSON, signed with SigV4.

StartConfigurationSession is ``POST /configurationsessions`` with a JSON body, answered 201 with
``InitialConfigurationToken``; GetLatestConfiguration is ``GET /configuration?configuration_token=``,
answered with the configuration as the body and ``Next-Poll-Configuration-Token``,
``Next-Poll-Interval-In-Seconds``, ``Content-Type`` and ``Version-Label`` headers (the AppConfigData
API reference). Errors carry their code in ``x-amzn-ErrorType`` and a JSON body with ``Message``,
``Reason`` and ``Details``, read as botocore's REST-JSON parser reads them.

Endpoints honour ``AWS_ENDPOINT_URL_APPCONFIGDATA`` and ``AWS_ENDPOINT_URL_STS``, so tests, the
local cloud and real AWS run this same code.
"""

from __future__ import annotations

import json
import math
import os

from appconfig_cache_extension import sigv4
from appconfig_cache_extension.aws_http import HttpClient, HttpClientError, Url
from appconfig_cache_extension.credentials import AssumedRole, EnvironmentCredentials, StsClient
from appconfig_cache_extension.endpoints import EndpointError, endpoint_url
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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from appconfig_cache_extension.credentials import CredentialSource
    from appconfig_cache_extension.paths import ConfigKey
    from appconfig_cache_extension.settings import Settings

MIN_POLL_S, MAX_POLL_S = 15, 86400
SERVICE = "appconfigdata"


def min_poll_interval(poll_interval_s: float) -> int:
    """RequiredMinimumPollIntervalInSeconds accepts 15 to 86,400."""
    return max(MIN_POLL_S, min(MAX_POLL_S, math.ceil(poll_interval_s)))


class AppConfigDataPlane:
    """AppConfigData for the cache. Each configuration signs with its own credentials (the
    function's, ``ROLE_ARN``'s, or its manifest entry's), chosen by ``credentials_for``."""

    def __init__(
        self,
        settings: Settings,
        env: Mapping[str, str] | None = None,
        *,
        http: HttpClient | None = None,
        credentials_for: Callable[[ConfigKey], CredentialSource] | None = None,
    ) -> None:
        self._settings = settings
        self._env = os.environ if env is None else env
        self.region = (
            settings.service_region or self._env.get("AWS_REGION") or self._env.get("AWS_DEFAULT_REGION")
        )
        self.http = http or HttpClient(
            timeout=settings.poll_timeout_s,
            max_idle=settings.max_connections,
            proxy_url=settings.proxy_url,
            proxy_headers=settings.proxy_headers,
            ca_bundle=self._env.get("AWS_CA_BUNDLE") or None,
        )
        self.base_credentials = default_credentials(settings, self._env, self.http, self.region)
        self._credentials_for = credentials_for or (lambda key: self.base_credentials)
        self._url: Url | None = None

    def start_session(self, key: ConfigKey) -> str:
        body = json.dumps(
            {
                "ApplicationIdentifier": key.application,
                "EnvironmentIdentifier": key.environment,
                "ConfigurationProfileIdentifier": key.profile,
                # AppConfig answers NextPollIntervalInSeconds = this minimum (60 s without one), and the
                # cache never polls sooner: ask for the configured interval, within AppConfig's range.
                "RequiredMinimumPollIntervalInSeconds": min_poll_interval(self._settings.poll_interval_s),
            }
        ).encode()
        response = self._call(key, "POST", "/configurationsessions", "", body)
        try:
            return str(json.loads(response.body)["InitialConfigurationToken"])
        except (ValueError, KeyError, TypeError) as error:
            raise Unavailable("StartConfigurationSession answered without a token") from error

    def get_latest(self, key: ConfigKey, token: str) -> Poll:
        response = self._call(
            key, "GET", "/configuration", sigv4.query_string([("configuration_token", token)]), b""
        )
        headers = response.headers
        next_token = headers.get("next-poll-configuration-token")
        if not next_token:
            raise Unavailable("GetLatestConfiguration answered without a next token")
        try:
            next_poll = float(headers.get("next-poll-interval-in-seconds") or 0)
        except ValueError:
            next_poll = 0.0
        return Poll(
            content=response.body,
            content_type=headers.get("content-type") or "application/octet-stream",
            next_token=next_token,
            next_poll_s=next_poll,
            version=headers.get("configuration-version"),
            label=headers.get("version-label") or None,
        )

    # ------------------------------------------------------------------ the wire
    def url(self) -> Url:
        if self._url is None:
            if not self.region:
                raise Unavailable(
                    "no Region: AWS_REGION is not set (or set AWS_APPCONFIG_EXTENSION_SERVICE_REGION)"
                )
            try:
                self._url = Url(endpoint_url(SERVICE, self.region, self._env))
            except (EndpointError, ValueError) as error:
                raise Unavailable(f"no AppConfigData endpoint: {error}") from error
        return self._url

    def _call(self, key: ConfigKey, method: str, path: str, query: str, body: bytes) -> Any:
        url = self.url()
        credentials = self._credentials_for(key).get()
        full_path = url.path.rstrip("/") + path
        host = sigv4.host_header(url.scheme, url.host, url.explicit_port)
        headers = {"Host": host}
        if body:
            headers["Content-Type"] = "application/json"
        headers.update(
            sigv4.sign(
                method,
                url.scheme,
                host,
                full_path,
                query,
                headers,
                body,
                credentials,
                str(self.region),
                SERVICE,
            )
        )
        target = full_path + ("?" + query if query else "")
        try:
            response = self.http.request(method, url, target, headers, body)
        except TimeoutError as error:
            raise TimedOut(f"AppConfig did not answer in time: {error or 'timed out'}") from error
        except (HttpClientError, OSError) as error:
            raise Unavailable(f"AppConfig unreachable: {error}") from error
        if response.status >= 300:
            raise translate(response.status, response.headers, response.body)
        return response


def default_credentials(
    settings: Settings, env: Mapping[str, str], http: HttpClient, region: str | None
) -> CredentialSource:
    """The function's credentials, or ``ROLE_ARN`` assumed with them."""
    base: CredentialSource = EnvironmentCredentials(env)
    if not settings.role_arn:
        return base
    return AssumedRole(
        sts_client(env, http, region),
        base,
        settings.role_arn,
        session_name=settings.role_session_name,
        external_id=settings.role_external_id,
    )


def sts_client(env: Mapping[str, str], http: HttpClient, region: str | None) -> StsClient:
    if not region:
        raise Unavailable("no Region for STS: AWS_REGION is not set")
    return StsClient(http, Url(endpoint_url("sts", region, env)), region)


def translate(status: int, headers: dict[str, str], body: bytes) -> PlaneError:
    """An AppConfigData error response as the kind the cache acts on."""
    document: dict[str, Any] = {}
    try:
        parsed = json.loads(body) if body else {}
        if isinstance(parsed, dict):
            document = parsed
    except ValueError:
        pass
    code = headers.get("x-amzn-errortype", "").split(":")[0]
    if not code:
        code = str(document.get("code") or document.get("Code") or document.get("__type") or "")
        code = code.rpartition("#")[2]
    message = str(document.get("message") or document.get("Message") or "")
    if code == "BadRequestException":
        problems = (document.get("Details") or {}).get("InvalidParameters") or {}
        kinds = {str(p.get("Problem")) for p in problems.values() if isinstance(p, dict)}
        if kinds & {"Corrupted", "Expired"}:
            return TokenRejected(f"configuration token rejected: {', '.join(sorted(kinds))}")
        if "PollIntervalNotSatisfied" in kinds:
            return Throttled("polled sooner than AppConfig allows")
        return BadRequest(f"AppConfig refused the request: {message}")
    if code == "ResourceNotFoundException":
        return NotFound(f"not found in AppConfig: {message}")
    if code in {"ThrottlingException", "TooManyRequestsException"} or status == 429:
        return Throttled("throttled by AppConfig")
    return Unavailable(f"AppConfig failed: {code or status}: {message}")
