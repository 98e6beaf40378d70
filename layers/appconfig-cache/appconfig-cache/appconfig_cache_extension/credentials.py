"""Credentials for signing: the Lambda environment's, or a role assumed through STS and renewed.

Lambda gives every extension the function's credentials in ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``. ``ROLE_ARN`` (and a manifest's per-
configuration ``credentials``) are assumed with STS ``AssumeRole``, signed by the credentials
beneath them, and renewed before they expire: a renewal is tried once less than a quarter of
their life (at most 15 minutes) is left, and one is waited for once less than an eighth (at
most 10 minutes) is left, the same two thresholds botocore's refreshable credentials use. A
renewal that fails while the old credentials still have time is logged and tried again later.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC

from appconfig_cache_extension.plane import Unavailable
from appconfig_cache_extension.sigv4 import Credentials

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, Protocol

    from appconfig_cache_extension.aws_http import HttpClient, Url

    class CredentialSource(Protocol):
        def get(self) -> Credentials: ...

    class RoleIssuer(Protocol):
        """What issues a role's credentials: STS's AssumeRole."""

        def assume_role(
            self,
            credentials: Credentials,
            *,
            role_arn: str,
            session_name: str,
            external_id: str | None,
            duration_s: int,
        ) -> Credentials: ...


ADVISORY_S, MANDATORY_S = 15 * 60, 10 * 60
STS_VERSION = "2011-06-15"


class EnvironmentCredentials:
    """The function's own credentials, read from the environment on every use (they do not
    change within an execution environment, but reading a mapping costs nothing)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def get(self) -> Credentials:
        access_key = self._env.get("AWS_ACCESS_KEY_ID")
        secret_key = self._env.get("AWS_SECRET_ACCESS_KEY")
        if not access_key or not secret_key:
            raise Unavailable("no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        token = self._env.get("AWS_SESSION_TOKEN") or self._env.get("AWS_SECURITY_TOKEN")
        return Credentials(access_key, secret_key, token)


class AssumedRole:
    """Credentials of ``role_arn``, assumed with ``source``'s credentials and renewed in time."""

    def __init__(
        self,
        sts: RoleIssuer,
        source: CredentialSource,
        role_arn: str,
        *,
        session_name: str,
        external_id: str | None = None,
        duration_s: int = 3600,
        clock: Callable[[], float] = time.time,
        on_failed_renewal: Callable[[Exception], None] | None = None,
    ) -> None:
        self._sts = sts
        self._source = source
        self.role_arn = role_arn
        self._session_name = session_name
        self._external_id = external_id
        self._duration_s = duration_s
        self._clock = clock
        self._on_failed_renewal = on_failed_renewal
        self._lock = threading.Lock()
        self._current: Credentials | None = None
        self._life = float("inf")  # how long the current credentials were issued for

    def get(self) -> Credentials:
        with self._lock:
            current = self._current
            if current is None:
                return self._renew()
            left = (current.expires_at or float("inf")) - self._clock()
            if left > min(ADVISORY_S, self._life / 4):
                return current
            if left > min(MANDATORY_S, self._life / 8):
                try:
                    return self._renew()
                except Unavailable as error:  # still valid for a while: keep them, retry next time
                    if self._on_failed_renewal is not None:
                        self._on_failed_renewal(error)
                    return current
            return self._renew()

    def _renew(self) -> Credentials:
        issued_at = self._clock()
        current = self._sts.assume_role(
            self._source.get(),
            role_arn=self.role_arn,
            session_name=self._session_name,
            external_id=self._external_id,
            duration_s=self._duration_s,
        )
        self._life = (current.expires_at or float("inf")) - issued_at
        self._current = current
        return current


class StsClient:
    """STS AssumeRole over the Query protocol (a form POST answered with XML)."""

    def __init__(
        self, http: HttpClient, url: Url, region: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._http = http
        self._url = url
        self._region = region
        self._clock = clock

    def assume_role(
        self,
        credentials: Credentials,
        *,
        role_arn: str,
        session_name: str,
        external_id: str | None,
        duration_s: int,
    ) -> Credentials:
        from appconfig_cache_extension import sigv4

        params = [
            ("Action", "AssumeRole"),
            ("Version", STS_VERSION),
            ("RoleArn", role_arn),
            ("RoleSessionName", session_name),
            ("DurationSeconds", str(duration_s)),
        ]
        if external_id:
            params.append(("ExternalId", external_id))
        body = sigv4.query_string(params).encode()
        path = self._url.path or "/"
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        host = sigv4.host_header(self._url.scheme, self._url.host, self._url.explicit_port)
        headers["Host"] = host
        headers.update(
            sigv4.sign(
                "POST", self._url.scheme, host, path, "", headers, body, credentials, self._region, "sts",
                now=self._clock(),
            )
        )  # fmt: skip
        try:
            response = self._http.request("POST", self._url, path, headers, body)
        except OSError as error:
            raise Unavailable(f"STS unreachable while assuming {role_arn}: {error}") from error
        if response.status != 200:
            code, message = _error(response.body)
            raise Unavailable(f"cannot assume {role_arn}: {code or response.status}: {message}")
        return _credentials(response.body, role_arn)


def _xml(body: bytes) -> Any:
    from xml.etree import ElementTree

    return ElementTree.fromstring(body)  # noqa: S314 - STS's own answer over TLS


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _find(element: Any, name: str) -> Any:
    for child in element.iter():
        if _local(child.tag) == name:
            return child
    return None


def _error(body: bytes) -> tuple[str, str]:
    try:
        root = _xml(body)
    except Exception:
        return "", body[:200].decode("utf-8", "replace")
    code, message = _find(root, "Code"), _find(root, "Message")
    return (code.text or "" if code is not None else ""), (message.text or "" if message is not None else "")


def _credentials(body: bytes, role_arn: str) -> Credentials:
    try:
        root = _xml(body)
        found = {
            name: _find(root, name)
            for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
        }
        values = {
            name: (element.text or "").strip() for name, element in found.items() if element is not None
        }
        expires_at = _parse_timestamp(values["Expiration"])
        return Credentials(
            values["AccessKeyId"], values["SecretAccessKey"], values["SessionToken"], expires_at
        )
    except (KeyError, ValueError, SyntaxError) as error:
        raise Unavailable(f"STS answered AssumeRole for {role_arn} with no usable credentials") from error


def _parse_timestamp(text: str) -> float:
    from datetime import datetime

    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
