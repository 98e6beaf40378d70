"""The built layer's extension started as Lambda starts it, in the local Lambda sandbox, against
the local AppConfig service: Init, invocations with freezing, SHUTDOWN, init errors."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest
from appconfig_cache import ConfigurationClient

from localcloud.lambda_runtime.sandbox import SandboxError
from tests.integration.extension.conftest import APP, ENV, FLAGS_V1, FLAGS_V2, PROFILE, Deployed, Running

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.integration
P = "AWS_APPCONFIG_EXTENSION_"


def read(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for_log(running: Running, text: str, timeout: float = 60.0) -> None:
    """Until the extension has logged ``text`` (the timeout only bounds a hang)."""
    deadline = time.monotonic() + timeout
    while text not in running.sandbox.logs():
        assert time.monotonic() < deadline, running.sandbox.logs()
        time.sleep(0.05)


def test_built_layer_layout(built_layer: Path) -> None:
    launcher = built_layer / "extensions" / "appconfig-cache"
    assert launcher.is_file()
    assert launcher.stat().st_mode & 0o111
    assert (built_layer / "appconfig-cache" / "appconfig_cache_extension" / "lifecycle.py").is_file()
    assert (built_layer / "python" / "appconfig_cache" / "client.py").is_file()
    assert not (built_layer / "python" / "appconfig_cache_extension").exists()  # not on the function's path
    assert not list(built_layer.rglob("botocore"))


def test_cold_fetch_by_names_and_by_ids(deployed: Deployed, start_extension: Callable[..., Running]) -> None:
    running = start_extension()
    with running.sandbox.invocation():
        status, headers, body = read(running.url())
        assert (status, body) == (200, FLAGS_V1)
        assert headers["Content-Type"] == "application/x-yaml"
        assert headers["ETag"]
        d = deployed
        ids = f"/applications/{d.app_id}/environments/{d.env_id}/configurations/{d.profile_id}"
        assert read(running.url(ids))[2] == FLAGS_V1
        assert read(running.url("/applications/nope/environments/x/configurations/y"))[0] == 404


def test_flags_query(deployed: Deployed, start_extension: Callable[..., Running]) -> None:
    running = start_extension()
    with running.sandbox.invocation():
        status, _, body = read(running.url() + "?flag=premium&flag=beta")
        assert status == 200
        assert json.loads(body) == {"premium": {"default": False}, "beta": {"default": True}}


def test_prefetch_runs_during_init_and_serves_without_calling_appconfig(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    running = start_extension({P + "PREFETCH_LIST": f"{APP}:{ENV}:{PROFILE}"})
    wait_for_log(running, "configuration updated")
    deployed.cloud.appconfig.faults.fail_next("*", count=None)  # AppConfig is now down
    with running.sandbox.invocation():
        assert read(running.url())[2] == FLAGS_V1


def test_aws_documented_sample_function_works_unchanged(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    """The sample from AWS's "How the AppConfig Lambda extension works" page, verbatim but for names."""
    try:
        running = start_extension({P + "HTTP_PORT": "2772"})
    except AssertionError as error:
        if "PortInUse" in str(error):
            pytest.skip("port 2772 is taken on this machine (another test run?)")
        raise

    def lambda_handler(event: object, context: object) -> bytes:
        url = f"http://localhost:2772/applications/{APP}/environments/{ENV}/configurations/{PROFILE}"
        config: bytes = urllib.request.urlopen(url).read()
        return config

    with running.sandbox.invocation():
        assert lambda_handler({}, None) == FLAGS_V1


def test_frozen_between_invocations_and_keep_alive_survives(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    running = start_extension()
    client = ConfigurationClient(running.port, timeout=10.0)  # bounds a hang; a busy machine may stall
    with running.sandbox.invocation():
        first = client.get(APP, ENV, PROFILE)
    assert all(e.frozen for e in running.sandbox.extensions.values())
    with running.sandbox.invocation():
        assert client.get(APP, ENV, PROFILE) is first  # 304 on the same connection, after the thaw


def test_invoke_after_the_poll_interval_sees_a_new_deployment(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    """AppConfig's smallest poll interval is 15 s, and the cache never polls sooner."""
    running = start_extension({P + "POLL_INTERVAL_SECONDS": "15s"})
    with running.sandbox.invocation():
        assert read(running.url())[2] == FLAGS_V1
    deployed.deploy(FLAGS_V2)
    deployed.cloud.clock.advance(16)  # the service's own clock: its minimum interval has passed too
    running.sandbox.pass_time(10)  # frozen between invocations, not yet for the poll interval
    with running.sandbox.invocation():
        assert read(running.url())[2] == FLAGS_V1
    running.sandbox.pass_time(5.5)  # 15.5 s frozen in all
    with running.sandbox.invocation():
        assert read(running.url())[2] == FLAGS_V2


def test_time_passes_only_for_a_frozen_environment(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    running = start_extension()
    running.sandbox.thaw()
    with pytest.raises(SandboxError, match="frozen"):
        running.sandbox.pass_time(10)


def test_shutdown_is_within_the_budget_even_with_a_fetch_in_flight(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    # The prefetch's answer would take a minute: shutting down must not wait for it.
    deployed.cloud.appconfig.faults.delay("*", 60.0)
    running = start_extension({P + "PREFETCH_LIST": f"{APP}:{ENV}:{PROFILE}"})
    result = running.sandbox.shutdown()
    assert result.within_budget, result  # Lambda allows 2 s, then SIGKILL
    assert result.exit_codes == {"appconfig-cache": 0}


BAD_SETTINGS = [
    ("HTTP_PORT", "http"),
    ("POLL_INTERVAL_SECONDS", "often"),
    ("POLL_TIMEOUT_MILLIS", "3 s"),
    ("PREFETCH_LIST", "just-a-name"),
    ("MAX_CONNECTIONS", "0"),
    ("LOG_LEVEL", "loud"),
    ("ROLE_ARN", "not-an-arn"),
    ("SERVICE_REGION", "moon"),
    ("PROXY_URL", "proxy"),
    ("ROLE_EXTERNAL_ID", "x"),
    ("ROLE_SESSION_NAME", "has spaces"),
    ("LOCAL_DEVELOPMENT_DIRECTORY", "/no/such/directory"),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS, ids=[n for n, _ in BAD_SETTINGS])
def test_bad_setting_is_an_init_error_naming_the_variable(
    start_extension: Callable[..., Running], name: str, value: str
) -> None:
    running = start_extension({P + name: value}, ready=False)
    assert running.sandbox.wait_exit() == {"appconfig-cache": 1}
    [error] = running.sandbox.errors
    assert (error.phase, error.error_type) == ("init", "Extension.InvalidSetting")
    assert P + name in error.body["errorMessage"]
    assert "accepted" in error.body["errorMessage"]


def test_a_fatal_error_is_reported_through_exit_error(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    running = start_extension()
    running.sandbox.send({"eventType": "INVOKE", "deadlineMs": "not a number", "requestId": "r"})
    assert running.sandbox.wait_exit() == {"appconfig-cache": 1}
    [error] = running.sandbox.errors
    assert (error.phase, error.error_type) == ("exit", "Extension.Crash")


def test_port_in_use_is_an_init_error(start_extension: Callable[..., Running]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        running = start_extension({P + "HTTP_PORT": str(taken.getsockname()[1])}, ready=False)
        assert running.sandbox.wait_exit() == {"appconfig-cache": 1}
    [error] = running.sandbox.errors
    assert error.error_type == "Extension.PortInUse"
    assert "HTTP_PORT" in error.body["errorMessage"]


def test_botocore_is_not_imported_before_registering_and_serving(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    running = start_extension({P + "PREFETCH_LIST": f"{APP}:{ENV}:{PROFILE}"})
    wait_for_log(running, "configuration updated")
    ready = next(json.loads(line) for line in running.sandbox.logs().splitlines() if '"ready"' in line)
    assert ready["sdk_loaded"] is False


def test_registers_under_its_file_name_and_only_for_invoke_and_shutdown(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    running = start_extension()
    [extension] = running.sandbox.extensions.values()
    assert extension.name == "appconfig-cache"
    assert sorted(extension.events) == ["INVOKE", "SHUTDOWN"]


def test_local_development_mode_needs_no_aws(
    tmp_path: Path, start_extension: Callable[..., Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / f"{APP}:{ENV}:{PROFILE}.yaml").write_bytes(FLAGS_V1)
    (tmp_path / "configs" / f"{APP}:{ENV}:other.json").write_bytes(b'{"x": 1}')
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPCONFIGDATA", "http://127.0.0.1:9")  # nothing there
    running = start_extension({P + "LOCAL_DEVELOPMENT_DIRECTORY": str(tmp_path / "configs")})
    with running.sandbox.invocation():
        status, headers, body = read(running.url())
        assert (status, headers["Content-Type"], body) == (200, "application/x-yaml", FLAGS_V1)
        other = read(running.url(f"/applications/{APP}/environments/{ENV}/configurations/other"))
        assert (other[1]["Content-Type"], other[2]) == ("application/json", b'{"x": 1}')


def test_malformed_requests_leave_the_built_extension_serving(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    running = start_extension()
    bad = [
        b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
        b"GET /applications/%2e%2e/environments/e/configurations/p HTTP/1.1\r\n\r\n",
        b"GET /applications/%ff/environments/e/configurations/p HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x00\xff" + bytes(range(256)) + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"x" * 40000 + b"\r\n\r\n",
    ]
    with running.sandbox.invocation():
        for data in bad:
            with socket.create_connection(("127.0.0.1", running.port), timeout=5) as sock:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
                answer = sock.recv(100)
                assert answer.startswith((b"HTTP/1.1 4", b"HTTP/1.1 5")) or answer == b""
        assert read(running.url())[0] == 200
