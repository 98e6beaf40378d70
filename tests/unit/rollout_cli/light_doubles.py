"""What the light path's tests share: a scripted HTTP client in place of the network, botocore
clients whose requests are captured instead of sent, and settings for both sides."""

from __future__ import annotations

import datetime
import functools
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal
from unittest import mock

import botocore.session
from appconfig_cache_extension.aws_http import Response, Url
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from rollout.aws import Clients
from rollout.light import LightClients, ResponseBody
from rollout.light_settings import Settings, resolve

if TYPE_CHECKING:
    from collections.abc import Iterator

ACCESS_KEY, SECRET_KEY = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = 1764600000  # 2025-12-01T14:40:00Z
# The command's own botocore configuration (rollout.aws.Clients).
CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
Checksums = Literal["when_supported", "when_required"]
OK_PUT = Response(200, {"x-amz-version-id": "v1", "etag": '"abc"'}, b"")


class ScriptedHttp:
    """``HttpClient`` in place of the network: records each request, answers from a script
    (a ``Response`` or an ``OSError`` to raise), the last entry again once the script is done."""

    def __init__(self, *answers: Response | OSError) -> None:
        self.answers = list(answers) or [OK_PUT]
        self.requests: list[dict[str, Any]] = []

    def request(
        self, method: str, url: Url, target: str, headers: dict[str, str], body: bytes = b""
    ) -> Response:
        self.requests.append(
            {"method": method, "url": url, "target": target, "headers": dict(headers), "body": body}
        )
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, OSError):
            raise answer
        return answer

    @staticmethod
    def full_url(request: dict[str, Any]) -> str:
        url: Url = request["url"]
        port = f":{url.port}" if url.explicit_port else ""
        host = f"[{url.host}]" if ":" in url.host else url.host
        return f"{url.scheme}://{host}{port}{request['target']}"


def environment(region: str = "us-east-1", token: str | None = None, **variables: str) -> dict[str, str]:
    """A process environment as CI jobs and the local cloud give one: keys, Region, no files."""
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        **variables,
    }
    if token:
        env["AWS_SESSION_TOKEN"] = token
    return env


def settings(env: dict[str, str]) -> Settings:
    """The light path's settings for ``env``, as the command resolves them."""
    found = resolve(env)
    assert found is not None, "the light path is taken in this environment"
    return found


def light(
    http: ScriptedHttp, *, env: dict[str, str] | None = None, fallback: Clients | None = None
) -> LightClients:
    chosen = settings(env or environment())
    return LightClients(chosen, fallback or Clients(chosen.region), http=http, clock=lambda: float(NOW))  # type: ignore[arg-type]


@functools.cache
def botocore_client(
    service: str,
    region: str,
    endpoint: str | None = None,
    token: str | None = None,
    *,
    request_checksum: Checksums = "when_supported",
    response_checksum: Checksums = "when_supported",
) -> Any:
    """A botocore client configured as the command configures its own."""
    config = CONFIG.merge(
        Config(request_checksum_calculation=request_checksum, response_checksum_validation=response_checksum)
    )
    return botocore.session.Session().create_client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=token,
        config=config,
    )


class Network:
    """A botocore client's network, for a test: records every request it sends and answers from
    a script of ``(status, headers, body)`` (the last again once the script is done). It stands
    in for the endpoint's own send, which botocore calls only when no ``before-send`` handler
    answered: what it records is what would have gone on the wire."""

    def __init__(self, client: Any, *answers: tuple[int, dict[str, str], bytes]) -> None:
        self.answers = list(answers) or [(200, {}, b"")]
        self.requests: list[Any] = []
        self._endpoint = client._endpoint

    def __enter__(self) -> Network:
        self._endpoint._send = self._send
        return self

    def __exit__(self, *_: object) -> None:
        del self._endpoint._send

    def _send(self, request: Any) -> AWSResponse:
        self.requests.append(request)
        status, headers, body = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        raw_headers: Any = headers
        return AWSResponse(request.url, status, raw_headers, ResponseBody(body))


@contextmanager
def botocore_clock(now: float = NOW) -> Iterator[None]:
    """botocore's signing clock, frozen."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        yield


def sent_headers(request: Any) -> dict[str, str]:
    """A botocore request's headers as sent, lower-case names, leaving out the unsigned ones it
    adds for itself (the User-Agent, its invocation and attempt IDs, Expect, Content-Length)."""
    skipped = {"user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "expect", "content-length"}
    out = {}
    for name, value in request.headers.items():
        if name.lower() not in skipped:
            out[name.lower()] = value.decode() if isinstance(value, bytes) else str(value)
    return out


def our_headers(request: dict[str, Any]) -> dict[str, str]:
    """The light path's headers as sent (the Host header is botocore's URL's host)."""
    return {name.lower(): value for name, value in request["headers"].items() if name.lower() != "host"}
