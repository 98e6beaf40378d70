"""The AppConfigData plane without botocore: what it sends (checked against botocore's signer by
the endpoint double), how failures map to the kinds the cache acts on, TLS, proxies, STS."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from appconfig_cache_extension.aws import AppConfigDataPlane, min_poll_interval, translate
from appconfig_cache_extension.credentials import AssumedRole
from appconfig_cache_extension.paths import ConfigKey
from appconfig_cache_extension.plane import (
    BadRequest,
    NotFound,
    Throttled,
    TimedOut,
    TokenRejected,
    Unavailable,
)
from appconfig_cache_extension.settings import Settings
from appconfig_cache_extension.sigv4 import Credentials

from tests.unit.extension.aws_doubles import (
    ACCESS_KEY,
    SECRET_KEY,
    TOKEN,
    FakeAppConfigData,
    Proxy,
    make_tls,
    serving,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.unit
KEY = ConfigKey("my app", "prod/eu", "flags")


def environment(endpoint: str, **extra: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_APPCONFIGDATA": endpoint,
        **extra,
    }


@pytest.fixture
def data() -> Iterator[FakeAppConfigData]:
    yield from serving(FakeAppConfigData())


def test_a_session_and_a_poll_signed_as_botocore_signs_them(data: FakeAppConfigData) -> None:
    plane = AppConfigDataPlane(Settings(poll_interval_s=30), environment(data.endpoint))
    token = plane.start_session(KEY)
    poll = plane.get_latest(KEY, token)
    assert (poll.content, poll.content_type, poll.next_token, poll.next_poll_s, poll.label) == (
        data.content,
        "application/json",
        "t/+=1+",
        60.0,
        "v1",
    )
    start, get = data.requests
    assert all(r.signature_valid for r in data.requests)
    assert json.loads(start.body) == {
        "ApplicationIdentifier": "my app",
        "EnvironmentIdentifier": "prod/eu",
        "ConfigurationProfileIdentifier": "flags",
        "RequiredMinimumPollIntervalInSeconds": 30,
    }
    assert get.path == "/configuration?configuration_token=t%2F%2B%3D1"  # the token percent-encoded
    assert start.headers["X-Amz-Security-Token"] == TOKEN
    assert "appconfig-cache-extension" in start.headers["User-Agent"]


@pytest.mark.parametrize(("interval", "minimum"), [(1, 15), (45, 45), (44.5, 45), (10**6, 86400)])
def test_minimum_poll_interval_asked_of_appconfig(interval: float, minimum: int) -> None:
    assert min_poll_interval(interval) == minimum


def invalid(problem: str) -> tuple[int, dict[str, str], bytes]:
    details = {"InvalidParameters": {"ConfigurationToken": {"Problem": problem}}}
    body = {"Message": "m", "Reason": "InvalidParameters", "Details": details}
    return (
        400,
        {"x-amzn-errortype": "BadRequestException:http://internal.amazon.com/"},
        json.dumps(body).encode(),
    )


def error(code: str, status: int) -> tuple[int, dict[str, str], bytes]:
    return status, {"x-amzn-errortype": code}, json.dumps({"Message": "m"}).encode()


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (invalid("Expired"), TokenRejected),
        (invalid("Corrupted"), TokenRejected),
        (invalid("PollIntervalNotSatisfied"), Throttled),
        (error("BadRequestException", 400), BadRequest),
        (error("ResourceNotFoundException", 404), NotFound),
        (error("ThrottlingException", 429), Throttled),
        ((429, {}, b""), Throttled),
        (error("InternalServerException", 500), Unavailable),
        (error("AccessDeniedException", 403), Unavailable),
        ((404, {}, json.dumps({"__type": "com.amazon#ResourceNotFoundException"}).encode()), NotFound),
        ((502, {}, b"<html>bad gateway</html>"), Unavailable),
    ],
)
def test_failures_map_to_the_kind_the_cache_acts_on(
    response: tuple[int, dict[str, str], bytes], kind: type
) -> None:
    assert type(translate(*response)) is kind


def test_error_responses_reach_the_cache_as_their_kind(data: FakeAppConfigData) -> None:
    data.error = (404, "ResourceNotFoundException", {"Message": "Application not found"})
    plane = AppConfigDataPlane(Settings(), environment(data.endpoint))
    with pytest.raises(NotFound, match="Application not found"):
        plane.start_session(KEY)


def test_no_credentials_or_no_region_is_a_clear_failure(data: FakeAppConfigData) -> None:
    env = environment(data.endpoint)
    del env["AWS_ACCESS_KEY_ID"]
    with pytest.raises(Unavailable, match="AWS_ACCESS_KEY_ID"):
        AppConfigDataPlane(Settings(), env).start_session(KEY)
    env = environment(data.endpoint)
    del env["AWS_REGION"]
    with pytest.raises(Unavailable, match="Region"):
        AppConfigDataPlane(Settings(), env).start_session(KEY)
    assert AppConfigDataPlane(Settings(service_region="eu-west-1"), env).region == "eu-west-1"


def test_an_endpoint_that_does_not_answer_times_out_after_the_poll_timeout(data: FakeAppConfigData) -> None:
    data.silent = True
    plane = AppConfigDataPlane(Settings(poll_timeout_s=0.2), environment(data.endpoint))
    started = time.monotonic()
    with pytest.raises(TimedOut):
        plane.start_session(KEY)
    assert time.monotonic() - started < 2


def test_a_refused_connection_is_unavailable() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unavailable, match="unreachable"):
        AppConfigDataPlane(Settings(), environment(f"http://127.0.0.1:{port}")).start_session(KEY)


def test_tls_with_the_ca_bundle_and_a_refused_unknown_certificate(tmp_path: Path) -> None:
    tls = make_tls(tmp_path)
    for double in serving(FakeAppConfigData(tls=tls)):
        trusted = AppConfigDataPlane(Settings(), environment(double.endpoint, AWS_CA_BUNDLE=str(tls.ca)))
        assert trusted.get_latest(KEY, trusted.start_session(KEY)).content == double.content
        assert all(r.signature_valid for r in double.requests)
        untrusted = AppConfigDataPlane(Settings(), environment(double.endpoint))
        with pytest.raises(Unavailable, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            untrusted.start_session(KEY)


def test_plain_http_through_a_proxy_with_its_headers(data: FakeAppConfigData) -> None:
    for proxy in serving(Proxy()):
        settings = Settings(
            proxy_url=f"http://user:p%40ss@{proxy.url.split('://')[1]}", proxy_headers=(("X-Team", "config"),)
        )
        plane = AppConfigDataPlane(settings, environment(data.endpoint))
        assert plane.get_latest(KEY, plane.start_session(KEY)).content == data.content
        line, headers = proxy.seen[0]
        assert line.startswith(f"POST {data.endpoint}/configurationsessions ")  # absolute form
        assert headers["X-Team"] == "config"
        assert headers["Proxy-Authorization"] == "Basic dXNlcjpwQHNz"  # user:p@ss
        assert all(r.signature_valid for r in data.requests)


@pytest.mark.parametrize("proxy_tls", [False, True], ids=["http proxy", "https proxy (TLS in TLS)"])
def test_https_through_a_connect_tunnel_with_the_proxy_headers(tmp_path: Path, proxy_tls: bool) -> None:
    tls = make_tls(tmp_path)
    for double in serving(FakeAppConfigData(tls=tls)):
        for proxy in serving(Proxy(tls=tls if proxy_tls else None)):
            settings = Settings(proxy_url=proxy.url, proxy_headers=(("X-Team", "config"), ("X-Cost", "42")))
            plane = AppConfigDataPlane(settings, environment(double.endpoint, AWS_CA_BUNDLE=str(tls.ca)))
            assert plane.get_latest(KEY, plane.start_session(KEY)).content == double.content
            line, headers = proxy.seen[0]
            assert line == f"CONNECT {double.endpoint.split('://')[1]} HTTP/1.1"
            assert (headers["X-Team"], headers["X-Cost"]) == ("config", "42")
            assert all(r.signature_valid for r in double.requests)


def test_pooled_connections_are_reused_and_a_dropped_one_replaced(data: FakeAppConfigData) -> None:
    plane = AppConfigDataPlane(Settings(), environment(data.endpoint))
    token = plane.start_session(KEY)
    for _ in range(3):
        token = plane.get_latest(KEY, token).next_token
    assert len(plane.http._idle) == 1
    [pool] = plane.http._idle.values()
    pool[0].sock.close()  # as if the endpoint closed it while the environment was frozen
    pool[0].sock = __import__("socket").socket()  # a socket that is no longer connected
    assert plane.get_latest(KEY, token).content == data.content


class FixedCredentials:
    def get(self) -> Credentials:
        return Credentials("AKIA", "s")


class FakeSts:
    def __init__(self, life_s: float, clock: Any) -> None:
        self.calls = 0
        self.life_s = life_s
        self.clock = clock

    def assume_role(self, credentials: Credentials, **params: Any) -> Credentials:
        self.calls += 1
        if params.get("role_arn") == "fail":
            raise Unavailable("STS down")
        return Credentials(f"ASIA{self.calls}", "secret", "token", self.clock() + self.life_s)


def test_assumed_role_credentials_are_renewed_before_they_expire() -> None:
    now = [1000.0]

    def clock() -> float:
        return now[0]

    sts = FakeSts(3600, clock)
    source = FixedCredentials()
    role = AssumedRole(sts, source, "arn:aws:iam::111122223333:role/R", session_name="s", clock=clock)
    first = role.get()
    now[0] += 3600 - 16 * 60
    assert role.get() is first  # more than a quarter of the hour left
    now[0] += 2 * 60  # 14 minutes left: renewed
    renewed = role.get()
    assert renewed is not first
    assert sts.calls == 2


def test_a_failed_renewal_keeps_credentials_that_are_still_valid() -> None:
    now = [1000.0]
    failures: list[Exception] = []
    sts = FakeSts(3600, lambda: now[0])
    source = FixedCredentials()
    role = AssumedRole(
        sts,
        source,
        "arn:aws:iam::111122223333:role/R",
        session_name="s",
        clock=lambda: now[0],
        on_failed_renewal=failures.append,
    )
    first = role.get()
    role.role_arn = "fail"
    now[0] += 3600 - 12 * 60  # 12 minutes left: renewal is tried, fails, the old ones serve
    assert role.get() is first
    assert len(failures) == 1
    now[0] += 5 * 60  # 7 minutes left: a renewal must succeed
    with pytest.raises(Unavailable):
        role.get()


def test_the_fetch_path_loads_no_botocore(data: FakeAppConfigData) -> None:
    """In a fresh interpreter: a session and a poll, then which modules were loaded."""
    code = (
        "import sys, json; sys.path.insert(0, 'layers/appconfig-cache/appconfig-cache');"
        "from appconfig_cache_extension.aws import AppConfigDataPlane;"
        "from appconfig_cache_extension.settings import Settings;"
        "from appconfig_cache_extension.paths import ConfigKey;"
        "import os; plane = AppConfigDataPlane(Settings(), dict(os.environ)); k = ConfigKey('a', 'e', 'p');"
        "plane.get_latest(k, plane.start_session(k));"
        "heavy = {'botocore', 'boto3', 'urllib3', 'dateutil', 'yaml', 'http', 'email'};"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=environment(data.endpoint),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(output) == []
