"""The extension's whole life in this process, against an Extensions API double that answers as
Lambda's does (register, event/next, init/error, exit/error): what Lambda is told when it refuses
a call, and a manifest (inline, or deployed with AppConfig) applied at init so its configuration
is fetched and its ``writeTo`` copy written before the function asks.
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html"""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from appconfig_cache_extension.lifecycle import run

from tests.unit.extension.aws_doubles import ACCESS_KEY, SECRET_KEY, TOKEN, FakeAppConfigData, serving

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.unit
BASE = "/2020-01-01/extension"
SHUTDOWN = {"eventType": "SHUTDOWN", "shutdownReason": "spindown", "deadlineMs": 0}


@dataclass
class FakeExtensionsApi:
    """``events`` are called in turn for each event/next (in the server's thread, as a function
    invocation would run meanwhile) and return the event; ``refuse`` maps a path to the status
    that call is answered with instead of Lambda's success (0: the connection is dropped unanswered)."""

    events: list[Callable[[], dict[str, Any]]] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def address(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.calls]

    def start(self) -> FakeExtensionsApi:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.removeprefix(BASE)
                double.calls.append((path, dict(self.headers.items()), body))
                if double.refuse.get(path) == 0:
                    self.close_connection = True
                elif path in double.refuse:
                    self._send(double.refuse[path], {"errorType": "Extension.Refused", "errorMessage": "no"})
                elif path == "/register":
                    self._send(200, {"functionName": "fn"}, {"Lambda-Extension-Identifier": "ext-1"})
                elif path == "/event/next":
                    self._send(200, double.events.pop(0)() if double.events else SHUTDOWN)
                else:  # init/error, exit/error
                    self._send(202, {"status": "OK"})

            do_GET = do_POST = _handle

            def _send(
                self, status: int, document: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def lambda_api() -> Iterator[FakeExtensionsApi]:
    yield from serving(FakeExtensionsApi())


@pytest.fixture
def data() -> Iterator[FakeAppConfigData]:
    yield from serving(FakeAppConfigData())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(lambda_api: FakeExtensionsApi, port: int, **settings: str) -> dict[str, str]:
    return {
        "AWS_LAMBDA_RUNTIME_API": lambda_api.address,
        "AWS_APPCONFIG_EXTENSION_HTTP_PORT": str(port),
        **{f"AWS_APPCONFIG_EXTENSION_{name}": value for name, value in settings.items()},
    }


def aws(data: FakeAppConfigData) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_APPCONFIGDATA": data.endpoint,
    }


def records(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_a_refused_registration_ends_the_extension(
    lambda_api: FakeExtensionsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    lambda_api.refuse["/register"] = 403
    assert run("appconfig-cache", environment(lambda_api, free_port())) == 1
    assert lambda_api.paths() == ["/register"]  # no identifier, so nothing else can be reported
    [fatal] = [r for r in records(capsys.readouterr().out) if r["level"] == "FATAL"]
    assert fatal["message"] == "cannot register"
    assert "403" in fatal["error"]


@pytest.mark.parametrize("answer", [500, 0], ids=["refused", "dropped"])
def test_a_bad_setting_is_logged_when_lambda_does_not_take_the_init_error(
    lambda_api: FakeExtensionsApi, capsys: pytest.CaptureFixture[str], answer: int
) -> None:
    lambda_api.refuse["/init/error"] = answer
    env = environment(lambda_api, free_port(), POLL_INTERVAL_SECONDS="soon")
    assert run("appconfig-cache", env) == 1
    assert lambda_api.paths() == ["/register", "/init/error"]
    _, headers, _ = lambda_api.calls[1]
    assert headers["Lambda-Extension-Function-Error-Type"] == "Extension.InvalidSetting"
    [fatal] = [r for r in records(capsys.readouterr().out) if r["level"] == "FATAL"]
    assert "POLL_INTERVAL_SECONDS" in fatal["message"]  # the log line is all that is left


def get_configuration(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return bytes(response.read())


PROFILE = "/applications/app/environments/env/configurations/profile"


@pytest.mark.parametrize(
    ("source", "wait"),
    [("inline", "true"), ("app:env:manifest", "true"), ("app:env:manifest", "false")],
    ids=["inline", "deployed, waited for", "deployed, not waited for"],
)
def test_a_manifest_is_applied_at_init_and_its_copy_written(
    lambda_api: FakeExtensionsApi, data: FakeAppConfigData, tmp_path: Path, source: str, wait: str
) -> None:
    copy = tmp_path / "copies" / "profile.json"
    manifest = json.dumps({"app:env:profile": {"writeTo": {"path": str(copy)}}})
    # The double answers every configuration with this document: the manifest itself, when it
    # is deployed, and the configuration it names (its copy is then the same JSON).
    data.content = manifest.encode()
    port = free_port()
    answers: list[bytes] = []

    def invoke() -> dict[str, Any]:
        answers.append(get_configuration(port, PROFILE))  # the function, during its invocation
        return {"eventType": "INVOKE", "requestId": "r-1", "deadlineMs": 0}

    lambda_api.events = [invoke]
    env = environment(
        lambda_api, port, MANIFEST=manifest if source == "inline" else source, WAIT_ON_MANIFEST=wait
    )
    assert run("appconfig-cache", env | aws(data)) == 0
    assert lambda_api.paths() == ["/register", "/event/next", "/event/next"]  # no error reported
    assert answers == [data.content]
    assert copy.read_bytes() == data.content
    started = [
        json.loads(r.body)["ConfigurationProfileIdentifier"] for r in data.requests if r.method == "POST"
    ]
    assert started.count("profile") == 1  # one fetch, however many asked for it
    assert ("manifest" in started) is (source != "inline")
