"""HTTP for the local service: both AWS services on one port, plus ``/_localcloud`` controls.

AppConfig's and AppConfigData's paths do not collide, so one listener serves both. It binds
127.0.0.1 only, speaks HTTP/1.1 keep-alive, and sets TCP_NODELAY on each accepted socket:
without it, a keep-alive response split over two segments waits out the peer's delayed ACK
(about 40 ms a call).

Control interface (JSON):
    GET    /_localcloud/health                 {"ok": true}
    GET    /_localcloud/faults                 the fault rules
    POST   /_localcloud/faults                 add one: {"operation", "kind": error|call|throttle|delay,
                                               "error", "count", "seconds", "per_second", "status",
                                               "message", "where": {parameter: value}}
    DELETE /_localcloud/faults                 clear them
    POST   /_localcloud/clock/advance          {"seconds": N} (ManualClock only)
"""

from __future__ import annotations

import email.utils
import json
import socket
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from localcloud.appconfig import wire
from localcloud.appconfig.errors import ServiceError, internal
from localcloud.appconfig.faults import SdkAttempt
from localcloud.appconfig.signing import credential_scope

if TYPE_CHECKING:
    from datetime import datetime

    from localcloud.appconfig.faults import Faults

CONTROL = "/_localcloud/"

Call = Callable[[wire.Request], dict[str, Any]]
"""The request (service, operation, parameters, the Region it is signed for) -> the operation's output."""


class Authorize(Protocol):
    """Raises the service's error (AccessDenied ...) unless the signed request may run."""

    def __call__(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
    ) -> None: ...


@dataclass(frozen=True)
class Controls:
    """What ``/_localcloud`` may touch: the fault rules, and the clock when it can be moved."""

    faults: Faults
    advance_clock: Callable[[float], datetime] | None = None
    now: Callable[[], datetime] | None = None
    """The service's clock: every answer's ``Date`` header is its time, as an AWS endpoint's is
    the time it answered (what a client measures a deployment's remaining time against)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    call: Call
    controls: Controls
    authorize: Authorize | None

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (its read timeout, a fault's delay) is not the service's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests and demos read their own output

    def date_time_string(self, timestamp: float | None = None) -> str:
        now = self.server.controls.now
        if timestamp is not None or now is None:
            return super().date_time_string(timestamp)
        return email.utils.format_datetime(now().astimezone(UTC), usegmt=True)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        if parts.path.startswith(CONTROL):
            self._control(method, parts.path[len(CONTROL) :], body)
            return
        try:
            found = wire.route(method, parts.path)
            if found is None:
                raise ServiceError(
                    "UnknownOperationException", 404, f"No operation for {method} {parts.path}"
                )
            headers = dict(self.headers.items())
            request = wire.parse_request(found[0], found[1], parts.query, headers, body)
            request = replace(request, attempt=SdkAttempt.from_headers(headers))
            scope = credential_scope(headers)
            if scope is not None:
                request = replace(request, region=scope.region)
            if self.server.authorize is not None:
                self.server.authorize(
                    request.service, request.operation, request.params,
                    method=method, url=self.path, headers=headers, body=body,
                )  # fmt: skip
            result = self.server.call(request)
            response = wire.serialize_output(request.service, request.operation, result)
        except ServiceError as error:
            response = wire.serialize_error(error)
        except Exception as error:  # a bug of ours still answers in AWS's shape
            response = wire.serialize_error(internal(f"{type(error).__name__}: {error}"))
        self._send(response.status, response.headers, response.body)

    def _control(self, method: str, path: str, body: bytes) -> None:
        controls = self.server.controls
        try:
            spec = json.loads(body) if body else {}
            if path == "health":
                result: Any = {"ok": True}
            elif path == "faults" and method == "GET":
                result = controls.faults.rules()
            elif path == "faults" and method == "POST":
                result = controls.faults.configure(spec).public()
            elif path == "faults" and method == "DELETE":
                controls.faults.clear()
                result = {}
            elif path == "clock/advance" and method == "POST":
                if controls.advance_clock is None:
                    raise ValueError("the service runs on a scaled real clock, which cannot be advanced")
                result = {"now": controls.advance_clock(float(spec.get("seconds", 0))).isoformat()}
            else:
                self._send(404, {"Content-Type": "application/json"}, b'{"error": "unknown control path"}')
                return
        except (ValueError, KeyError, TypeError) as error:
            self._send(400, {"Content-Type": "application/json"}, json.dumps({"error": str(error)}).encode())
            return
        self._send(200, {"Content-Type": "application/json"}, json.dumps(result).encode())

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


def make_server(
    call: Call, controls: Controls, host: str, port: int, authorize: Authorize | None = None
) -> _Server:
    server = _Server((host, port), _Handler)
    server.call = call
    server.controls = controls
    server.authorize = authorize
    return server
