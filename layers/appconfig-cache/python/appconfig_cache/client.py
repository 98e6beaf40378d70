"""Function-side client of the caching extension: one keep-alive connection, conditional reads.

A warm read is one small request on an open socket with TCP_NODELAY. ``If-None-Match`` makes an
unchanged configuration cost a 304 with no body, and the parsed document is kept per version,
so a 1 MB YAML document is parsed once per deployment, not once per read. The HTTP exchange is
hand-written because ``http.client`` parses every response's headers through ``email``, which
alone costs more than the whole round trip.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from appconfig_cache.documents import parse_document

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_PORT = 2772
PORT_VARIABLE = "AWS_APPCONFIG_EXTENSION_HTTP_PORT"
MAX_HEAD = 64 * 1024


class ConfigurationError(Exception):
    """The extension answered with an error (``status`` is its HTTP status)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class ExtensionUnavailable(ConfigurationError):
    """No extension answered: not in Lambda, the layer is missing, or it has not started."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)


@dataclass(frozen=True, eq=False)
class Configuration:
    """One version of a configuration; ``document`` is parsed on first use and kept."""

    content: bytes
    content_type: str
    etag: str | None = None
    version: str | None = None
    label: str | None = None

    @cached_property
    def document(self) -> Any:
        """The parsed document (JSON or YAML, by content type)."""
        return parse_document(self.content, self.content_type)


class ConfigurationClient:
    """Reads configurations from the extension on 127.0.0.1; safe to share between threads."""

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        timeout: float = 5.0,
        connect_timeout: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``connect_timeout``: how long a refused connection is retried (by ``clock``, pausing
        with ``sleep``) before the extension is reported missing."""
        self._clock = clock
        self._sleep = sleep
        self.address = (host, port or int(os.environ.get(PORT_VARIABLE) or DEFAULT_PORT))
        # Longer than the extension's own first-fetch bound (POLL_TIMEOUT_MILLIS, 3 s by default).
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._known: dict[str, Configuration] = {}

    def get(
        self, application: str, environment: str, profile: str, *, conditional: bool = True
    ) -> Configuration:
        """The configuration as the extension serves it; the same object while it is unchanged.

        ``conditional=False`` downloads the body even when unchanged (a new object every time).
        """
        path = "/applications/{}/environments/{}/configurations/{}".format(
            *(quote(part, safe="") for part in (application, environment, profile))
        )
        with self._lock:
            known = self._known.get(path)
            status, headers, body = self._exchange(path, known.etag if known and conditional else None)
            if status == 304 and known is not None:
                return known
            if status != 200:
                raise ConfigurationError(status, body.decode("utf-8", "replace").strip())
            configuration = Configuration(
                body,
                headers.get("content-type", "application/octet-stream"),
                headers.get("etag"),
                headers.get("configuration-version"),
                headers.get("version-label"),
            )
            if configuration.etag:
                self._known[path] = configuration
            return configuration

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None

    # ------------------------------------------------------------------ wire
    def _exchange(self, path: str, etag: str | None) -> tuple[int, dict[str, str], bytes]:
        request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
        if etag:
            request += f"If-None-Match: {etag}\r\n"
        data = (request + "\r\n").encode()
        # A kept-alive connection can go stale while Lambda froze the environment: GET is
        # idempotent, so a request on a reused connection is tried once more on a fresh one.
        attempts = 2 if self._sock is not None else 1
        try:
            for attempt in range(attempts):
                try:
                    return self._round_trip(data)
                except (ConnectionError, _Closed):
                    self.close_unlocked()
                    if attempt == attempts - 1:
                        raise
            raise AssertionError("unreachable")
        except (ConnectionError, _Closed):
            raise ExtensionUnavailable(f"the extension closed the connection on {self._where()}") from None
        except TimeoutError:
            self.close_unlocked()
            raise ExtensionUnavailable(f"no answer within {self.timeout} s from {self._where()}") from None
        except OSError as error:
            self.close_unlocked()
            raise ExtensionUnavailable(f"cannot reach the extension on {self._where()}: {error}") from None

    def _round_trip(self, data: bytes) -> tuple[int, dict[str, str], bytes]:
        sock = self._sock or self._connect()
        sock.sendall(data)
        head, rest = _read_head(sock)
        status, headers = _parse_head(head)
        length = int(headers.get("content-length", "0"))
        body = _read_body(sock, rest, length)
        if headers.get("connection", "").lower() == "close":
            self.close_unlocked()
        return status, headers, body

    def _connect(self) -> socket.socket:
        deadline = self._clock() + self.connect_timeout
        while True:
            try:
                sock = socket.create_connection(self.address, timeout=self.connect_timeout)
                break
            except ConnectionRefusedError:
                # The extension binds before it registers, so a refusal means it is not there;
                # retry briefly anyway for the start-up of a local run.
                if self._clock() >= deadline:
                    raise ExtensionUnavailable(
                        f"nothing listens on {self._where()}: is the appconfig-cache layer attached "
                        f"(outside Lambda, run the extension or set {PORT_VARIABLE})?"
                    ) from None
                self._sleep(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)
        self._sock = sock
        return sock

    def close_unlocked(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _where(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"


class _Closed(Exception):
    """The peer closed the connection before a complete response."""


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    buffer = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise _Closed
        buffer += chunk
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            return buffer[:end], buffer[end + 4 :]
        if len(buffer) > MAX_HEAD:
            raise ConfigurationError(502, "response head too large")


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConfigurationError(502, "malformed response from the extension")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


def _read_body(sock: socket.socket, rest: bytes, length: int) -> bytes:
    if len(rest) >= length:
        return rest[:length]
    body = bytearray(length)
    body[: len(rest)] = rest
    view, got = memoryview(body), len(rest)
    while got < length:
        count = sock.recv_into(view[got:])
        if not count:
            raise _Closed
        got += count
    return bytes(body)


_default: ConfigurationClient | None = None
_default_lock = threading.Lock()


def default_client() -> ConfigurationClient:
    global _default  # noqa: PLW0603 - one client (one connection) per process, made on first use
    with _default_lock:
        if _default is None:
            _default = ConfigurationClient()
        return _default


def get_configuration(application: str, environment: str, profile: str) -> Configuration:
    """The configuration through the process-wide client (created on first call)."""
    return default_client().get(application, environment, profile)
