"""Lambda's Extensions API (2020-01-01): register, event/next, init/error, exit/error.

A minimal HTTP/1.1 client on a plain socket: ``http.client`` alone costs 13-30 ms to import,
which would stand between process start and registering.
"""

from __future__ import annotations

import json
import socket

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BASE = "/2020-01-01/extension"


class RuntimeApiError(Exception):
    """The Extensions API refused a call or could not be reached: the extension must exit."""


class Event:
    __slots__ = ("body", "deadline_ms", "type")

    def __init__(self, type: str, deadline_ms: int, body: dict[str, Any]) -> None:
        self.type = type  # INVOKE | SHUTDOWN
        self.deadline_ms = deadline_ms
        self.body = body


def http_call(  # noqa: PLR0917 - mirrors an HTTP request's parts
    address: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
    timeout: float | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection; returns status, lower-cased headers and body."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout) as sock:
        sock.settimeout(timeout)  # None: event/next blocks until the next event, as it must
        lines = [f"{method} {path} HTTP/1.1", f"Host: {address}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()] + [f"Content-Length: {len(body)}", "", ""]
        sock.sendall("\r\n".join(lines).encode() + body)
        reader = sock.makefile("rb")
        status_line = reader.readline(65536).decode("latin-1").split(" ", 2)
        if len(status_line) < 2 or not status_line[1].isdigit():
            raise RuntimeApiError(f"malformed response from the Extensions API to {path}")
        response_headers: dict[str, str] = {}
        while (line := reader.readline(65536)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            response_headers[name.strip().lower()] = value.strip()
        if response_headers.get("transfer-encoding", "").lower() == "chunked":
            payload = _read_chunked(reader)
        elif "content-length" in response_headers:
            payload = reader.read(int(response_headers["content-length"]))
        else:
            payload = reader.read()
        return int(status_line[1]), response_headers, payload


def _read_chunked(reader: Any) -> bytes:
    parts = []
    while (size := int(reader.readline(1024).split(b";")[0].strip() or b"0", 16)) > 0:
        parts.append(reader.read(size))
        reader.readline(1024)
    return b"".join(parts)


class ExtensionsApi:
    def __init__(self, address: str) -> None:
        self._address = address
        self.identifier = ""

    def register(self, name: str, events: tuple[str, ...] = ("INVOKE", "SHUTDOWN")) -> dict[str, Any]:
        status, headers, body = self._call(
            "POST",
            "/register",
            {"Lambda-Extension-Name": name},
            json.dumps({"events": list(events)}).encode(),
        )
        if status != 200 or "lambda-extension-identifier" not in headers:
            raise RuntimeApiError(f"register failed: HTTP {status}: {body[:200]!r}")
        self.identifier = headers["lambda-extension-identifier"]
        return dict(json.loads(body or b"{}"))

    def next_event(self) -> Event:
        status, _, body = self._call("GET", "/event/next", {}, timeout=None)
        if status != 200:
            raise RuntimeApiError(f"event/next failed: HTTP {status}: {body[:200]!r}")
        event = json.loads(body)
        return Event(str(event.get("eventType", "")), int(event.get("deadlineMs") or 0), event)

    def init_error(self, error_type: str, message: str) -> None:
        self._report("/init/error", error_type, message)

    def exit_error(self, error_type: str, message: str) -> None:
        self._report("/exit/error", error_type, message)

    def _report(self, path: str, error_type: str, message: str) -> None:
        body = json.dumps({"errorType": error_type, "errorMessage": message, "stackTrace": []}).encode()
        self._call("POST", path, {"Lambda-Extension-Function-Error-Type": error_type}, body)

    def _call(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b"", timeout: float | None = 5.0
    ) -> tuple[int, dict[str, str], bytes]:
        if self.identifier:
            headers = {**headers, "Lambda-Extension-Identifier": self.identifier}
        try:
            return http_call(self._address, method, BASE + path, headers, body, timeout)
        except (OSError, ValueError) as error:  # ValueError: no or a malformed AWS_LAMBDA_RUNTIME_API
            raise RuntimeApiError(f"Extensions API unreachable at {self._address!r}: {error}") from error
