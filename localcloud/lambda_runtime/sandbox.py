"""A local Lambda sandbox for external extensions: it plays the Extensions API (2020-01-01).

It starts every executable in a built layer's ``extensions/`` folder as Lambda does (in
parallel, with ``AWS_LAMBDA_RUNTIME_API`` and the function's environment), answers
``register``, holds ``event/next`` until the test delivers INVOKE or SHUTDOWN, records
``init/error`` and ``exit/error``, and imitates freezing between invocations with SIGSTOP and
SIGCONT. The test process plays the runtime and the function: it calls the extension's HTTP
API inside ``with sandbox.invocation():``.

    with LambdaSandbox(".aws-sam/build/AppConfigCacheLayer", env={...}) as sandbox:
        sandbox.wait_ready()
        with sandbox.invocation():
            urllib.request.urlopen("http://localhost:2772/applications/A/environments/E/configurations/P")
        result = sandbox.shutdown()
        assert result.within_budget

Time goes on for a frozen environment, as in Lambda: ``pass_time(seconds)`` between two
invocations moves the extensions' ``time.monotonic`` on by that much, so a test of a poll
interval need not wait it out (``frozen_time/sitecustomize.py``, loaded into the extension
processes only, by ``frozen_time/bin/python3``, does it; the wall clock is left alone). What it
cannot imitate: nothing is isolated (the extension shares the test machine's network and files).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

API = "/2020-01-01/extension"
FROZEN_TIME = Path(__file__).resolve().parent / "frozen_time"
SHUTDOWN_BUDGET_S = 2.0  # with at least one external extension
INIT_LIMIT_S = 10.0


class SandboxError(AssertionError):
    """The extensions did not behave as Lambda requires (for example, never registered)."""


@dataclass
class ReportedError:
    extension: str
    phase: str  # "init" | "exit"
    error_type: str
    body: dict[str, Any]


@dataclass
class Extension:
    """One started executable and what it has done so far."""

    name: str
    process: subprocess.Popen[bytes]
    started_at: float
    log_path: Path
    identifier: str | None = None
    events: list[str] = field(default_factory=list)
    registered_at: float | None = None
    next_calls: int = 0
    waiting: threading.Event = field(default_factory=threading.Event)  # blocked in event/next
    mailbox: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    frozen: bool = False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class ShutdownResult:
    durations_s: dict[str, float]
    exit_codes: dict[str, int | None]
    killed: list[str]

    @property
    def within_budget(self) -> bool:
        return not self.killed and all(d <= SHUTDOWN_BUDGET_S for d in self.durations_s.values())


class LambdaSandbox:
    def __init__(
        self,
        opt: str | os.PathLike[str],
        *,
        env: dict[str, str] | None = None,
        function_name: str = "consumer",
        freeze_between_invocations: bool = True,
        log_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.opt = Path(opt)
        self.function_name = function_name
        self.freeze_between_invocations = freeze_between_invocations
        self.extensions: dict[str, Extension] = {}
        self.errors: list[ReportedError] = []
        self._env = env or {}
        self._log_dir = Path(log_dir) if log_dir else None
        # The seconds pass_time has added to the extensions' monotonic clock (8 bytes, a double).
        handle, name = tempfile.mkstemp(prefix="lambda-sandbox-time-")
        os.write(handle, struct.pack("d", 0.0))
        os.close(handle)
        self._time_offset = Path(name)
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="extensions-api", daemon=True)
        self._shut_down = False
        self._closed = False

    @property
    def runtime_api(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LambdaSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> LambdaSandbox:
        """Start the Extensions API and every ``extensions/*`` executable, in parallel."""
        self._thread.start()
        executables = sorted(p for p in (self.opt / "extensions").iterdir() if p.is_file())
        if not executables:
            raise SandboxError(f"no extensions in {self.opt / 'extensions'}")
        log_dir = self._log_dir or Path(tempfile.mkdtemp(prefix="lambda-sandbox-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        for path in executables:
            if not os.access(path, os.X_OK):
                raise SandboxError(f"{path} is not executable: Lambda could not start it")
            log_path = log_dir / f"{path.name}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(  # noqa: S603 - the layer's own executable, as Lambda runs it
                    [str(path)], env=self.environment(), stdout=log, stderr=subprocess.STDOUT, cwd="/"
                )
            self.extensions[path.name] = Extension(path.name, process, time.monotonic(), log_path)
        return self

    def environment(self) -> dict[str, str]:
        """What an extension process sees: the function's variables plus the runtime API address.

        ``python3`` resolves to this interpreter's folder first, as ``/var/lang/bin`` does in Lambda.
        """
        python_bin = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
        env.update(
            {
                # bin/python3 starts Python extensions through frozen_time/thaw.py: the launcher's
                # -E keeps PYTHONPATH (and a sitecustomize on it) out, as it should.
                "LOCALCLOUD_PYTHON": sys.executable,
                "LOCALCLOUD_FROZEN_TIME": str(self._time_offset),
                "PATH": os.pathsep.join(
                    (str(FROZEN_TIME / "bin"), python_bin, env.get("PATH", "/usr/bin:/bin"))
                ),
                "AWS_LAMBDA_RUNTIME_API": self.runtime_api,
                "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                "AWS_REGION": env.get("AWS_REGION", "us-east-1"),
            }
        )
        env.update(self._env)
        return env

    def wait_ready(self, timeout: float = INIT_LIMIT_S) -> None:
        """Wait for the end of Init: every extension registered and blocked in ``event/next``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._all_waiting():
                if self.errors:
                    raise SandboxError(f"init failed: {self.errors}")
                self._check_alive()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxError("extensions did not finish Init in time:\n" + self.logs())
                self._lock.wait(min(remaining, 0.05))

    def wait_exit(self, timeout: float = 5.0) -> dict[str, int]:
        """For extensions expected to fail: wait until every process has exited."""
        deadline = time.monotonic() + timeout
        codes: dict[str, int] = {}
        for name, ext in self.extensions.items():
            codes[name] = ext.process.wait(max(0.01, deadline - time.monotonic()))
        return codes

    @contextmanager
    def invocation(self, *, timeout_ms: int = 3000, request_id: str | None = None) -> Iterator[str]:
        """One invocation: INVOKE to every extension, the body runs as the function, then the
        sandbox waits for each extension's next ``event/next`` and freezes them."""
        self.thaw()
        self.wait_ready()
        request_id = request_id or str(uuid.uuid4())
        event = {
            "eventType": "INVOKE",
            "deadlineMs": int((time.time() * 1000) + timeout_ms),
            "requestId": request_id,
            "invokedFunctionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}",
            "tracing": {
                "type": "X-Amzn-Trace-Id",
                "value": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
            },
        }
        self._deliver(event, only="INVOKE")
        yield request_id
        self.wait_ready(timeout_ms / 1000 + 1)
        if self.freeze_between_invocations:
            self.freeze()

    def send(self, event: dict[str, Any]) -> None:
        """Deliver any event, even a malformed one, to the extensions registered for its type."""
        self.thaw()
        self._deliver(event, only=str(event.get("eventType", "INVOKE")))

    def freeze(self) -> None:
        for ext in self.extensions.values():
            if ext.process.poll() is None and not ext.frozen:
                ext.process.send_signal(signal.SIGSTOP)
                ext.frozen = True

    def pass_time(self, seconds: float) -> None:
        """As if the frozen environment stayed frozen ``seconds`` longer: its monotonic clock has
        moved on by then when the next invocation thaws it."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        running = [e for e in self.extensions.values() if e.process.poll() is None]
        if not running or not all(e.frozen for e in running):
            raise SandboxError("time passes only for a frozen environment: between two invocations")
        offset = struct.unpack("d", self._time_offset.read_bytes())[0]
        with self._time_offset.open("r+b") as handle:
            handle.write(struct.pack("d", offset + seconds))

    def thaw(self) -> None:
        for ext in self.extensions.values():
            if ext.frozen:
                ext.process.send_signal(signal.SIGCONT)
                ext.frozen = False

    def shutdown(self, reason: str = "SPINDOWN", budget_s: float = SHUTDOWN_BUDGET_S) -> ShutdownResult:
        """SHUTDOWN to every extension, then SIGKILL for any still running after the budget."""
        self.thaw()
        started = time.monotonic()
        self._deliver(
            {
                "eventType": "SHUTDOWN",
                "shutdownReason": reason,
                "deadlineMs": int(time.time() * 1000 + budget_s * 1000),
            },
            only="SHUTDOWN",
        )
        durations: dict[str, float] = {}
        killed: list[str] = []
        for name, ext in self.extensions.items():
            try:
                ext.process.wait(max(0.0, started + budget_s - time.monotonic()))
            except subprocess.TimeoutExpired:
                ext.process.kill()
                ext.process.wait()
                killed.append(name)
            durations[name] = time.monotonic() - started
        self._shut_down = True
        return ShutdownResult(
            durations, {n: e.process.returncode for n, e in self.extensions.items()}, killed
        )

    def close(self) -> None:
        self._closed = True
        self.thaw()
        for ext in self.extensions.values():
            if ext.process.poll() is None:
                ext.process.kill()
                ext.process.wait()
            # Release any event/next still held by the API server, so its threads end.
            ext.mailbox.put({"eventType": "SHUTDOWN", "shutdownReason": "FAILURE", "deadlineMs": 0})
        self._server.shutdown()
        self._server.server_close()
        self._time_offset.unlink(missing_ok=True)

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{ext.log()}" for name, ext in self.extensions.items())

    # ------------------------------------------------------------------ internals
    def _all_waiting(self) -> bool:
        return bool(self.extensions) and all(
            e.identifier is not None and e.waiting.is_set() for e in self.extensions.values()
        )

    def _check_alive(self) -> None:
        dead = {n: e.process.poll() for n, e in self.extensions.items() if e.process.poll() is not None}
        if dead and not self._shut_down:
            raise SandboxError(f"extension exited during Init or an invocation: {dead}\n{self.logs()}")

    def _deliver(self, event: dict[str, Any], *, only: str) -> None:
        with self._lock:
            for ext in self.extensions.values():
                if only in ext.events and ext.process.poll() is None:
                    ext.waiting.clear()
                    ext.mailbox.put(event)

    def _by_identifier(self, identifier: str | None) -> Extension | None:
        return next((e for e in self.extensions.values() if identifier and e.identifier == identifier), None)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode()
                # The extension may be gone (killed, or exited after an error): nothing to tell it.
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    return {}
                return parsed if isinstance(parsed, dict) else {}

            def do_POST(self) -> None:
                if self.path == f"{API}/register":
                    self._register()
                elif self.path in (f"{API}/init/error", f"{API}/exit/error"):
                    self._error(self.path.rsplit("/", 2)[-2])
                else:
                    self._reply(404, {"errorType": "InvalidPath", "errorMessage": self.path})

            def do_GET(self) -> None:
                if self.path != f"{API}/event/next":
                    self._reply(404, {"errorType": "InvalidPath", "errorMessage": self.path})
                    return
                ext = sandbox._by_identifier(self.headers.get("Lambda-Extension-Identifier"))
                if ext is None:
                    self._reply(
                        403, {"errorType": "Extension.Forbidden", "errorMessage": "unknown identifier"}
                    )
                    return
                with sandbox._lock:
                    ext.next_calls += 1
                    ext.waiting.set()
                    sandbox._lock.notify_all()
                event = ext.mailbox.get()
                if not sandbox._closed:
                    self._reply(200, event)

            def _register(self) -> None:
                name = self.headers.get("Lambda-Extension-Name", "")
                body = self._body()
                ext = sandbox.extensions.get(name)
                if ext is None:
                    self._reply(
                        403,
                        {
                            "errorType": "Extension.InvalidName",
                            "errorMessage": f"no file {name!r} in extensions/",
                        },
                    )
                    return
                events = [str(e) for e in body.get("events", [])]
                if "SHUTDOWN" not in events or set(events) - {"INVOKE", "SHUTDOWN"}:
                    self._reply(400, {"errorType": "InvalidEvents", "errorMessage": str(events)})
                    return
                with sandbox._lock:
                    ext.identifier = str(uuid.uuid4())
                    ext.events = events
                    ext.registered_at = time.monotonic()
                    sandbox._lock.notify_all()
                self._reply(
                    200,
                    {
                        "functionName": sandbox.function_name,
                        "functionVersion": "$LATEST",
                        "handler": "app.handler",
                    },
                    {"Lambda-Extension-Identifier": ext.identifier},
                )

            def _error(self, phase: str) -> None:
                ext = sandbox._by_identifier(self.headers.get("Lambda-Extension-Identifier"))
                if ext is None:
                    self._reply(
                        403, {"errorType": "Extension.Forbidden", "errorMessage": "unknown identifier"}
                    )
                    return
                error_type = self.headers.get("Lambda-Extension-Function-Error-Type", "")
                with sandbox._lock:
                    sandbox.errors.append(ReportedError(ext.name, phase, error_type, self._body()))
                    sandbox._lock.notify_all()
                self._reply(202, {"status": "OK"})

        return Handler
