"""Function-side client of the caching extension: one keep-alive connection, conditional reads,
and a copy in memory for repeated reads.

Staleness: a read returns the copy the client last saw for up to ``max_age`` seconds (1 s by
default) without asking the extension, and asks again after that; the extension itself serves
a copy at most ``POLL_INTERVAL_SECONDS`` old (checked at each invocation). So a read is at most
``max_age`` behind what the extension has, which is what lets repeated reads within one
invocation cost a dictionary lookup. ``max_age=0`` asks the extension every time.

Asking is one small request on an open socket with TCP_NODELAY. ``If-None-Match`` makes an
unchanged configuration cost a 304 with no body, and the parsed document is kept per version,
so a 1 MB YAML document is parsed once per deployment, not once per read. The HTTP exchange is
hand-written because ``http.client`` parses every response's headers through ``email``, which
alone costs more than the whole round trip.
"""

from __future__ import annotations

import json
import os
import socket
import struct
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
DEFAULT_MAX_AGE_S = 1.0
MAX_HEAD = 60 * 1024  # below the read buffer's 64 KiB, so a head always fits in it


class ConfigurationError(Exception):
    """The extension answered with an error (``status`` is its HTTP status)."""

    def __init__(self, status: int, message: str, code: str = "") -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.code = code  # the OpenFeature error code, on flag evaluations


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


class _Known:
    """The last version seen of one configuration, when it was checked, and its requests."""

    __slots__ = ("checked", "conditional", "configuration", "plain")

    def __init__(self, configuration: Configuration, checked: float, plain: bytes) -> None:
        self.configuration = configuration
        self.checked = checked
        self.plain = plain
        etag = configuration.etag
        self.conditional = plain[:-2] + f"If-None-Match: {etag}\r\n\r\n".encode() if etag else plain


class ConfigurationClient:
    """Reads configurations (and evaluated flags) from the extension on 127.0.0.1; safe to share
    between threads."""

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        timeout: float = 5.0,
        connect_timeout: float = 1.0,
        max_age: float = DEFAULT_MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``clock`` times ``max_age`` and how long a refused connection is retried
        (``connect_timeout``, pausing with ``sleep``) before the extension is reported missing."""
        self.address = (host, port or int(os.environ.get(PORT_VARIABLE) or DEFAULT_PORT))
        # Longer than the extension's own first-fetch bound (POLL_TIMEOUT_MILLIS, 3 s by default).
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_age = max_age
        self._clock = clock
        self._sleep = sleep
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str, str], _Known] = {}
        self._buffer = bytearray(65536)
        self._view = memoryview(self._buffer)

    def get(
        self,
        application: str,
        environment: str,
        profile: str,
        *,
        conditional: bool = True,
        max_age: float | None = None,
    ) -> Configuration:
        """The configuration as the extension serves it; the same object while it is unchanged.

        Within ``max_age`` seconds (the client's, unless given) of the last check, the copy in
        memory without asking. ``conditional=False`` downloads the body even when unchanged.
        """
        key = (application, environment, profile)
        known = self._known.get(key)
        if known is not None and conditional:
            if self._clock() - known.checked < (self.max_age if max_age is None else max_age):
                return known.configuration  # the fast path: no lock, no socket
            with self._lock:
                if self._revalidated(known):
                    return known.configuration
        with self._lock:
            known = self._known.get(key)
            if known is None:
                request = _get_request(key)
            elif conditional:
                request = known.conditional
            else:
                request = known.plain
            status, headers, body = self._exchange(request)
            now = self._clock()
            if status == 304 and known is not None:
                known.checked = now
                return known.configuration
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
                self._known[key] = _Known(configuration, now, known.plain if known else request)
            return configuration

    def evaluate(
        self,
        application: str,
        environment: str,
        profile: str,
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Every flag of the configuration evaluated by the extension for ``context`` (OFREP bulk
        evaluation): ``{flag: value}``, each value what Powertools' ``FeatureFlags.evaluate`` returns."""
        body = self._ofrep(application, environment, profile, "", context)
        return {item["key"]: item["value"] for item in body["flags"] if "value" in item}

    def evaluate_flag(
        self,
        application: str,
        environment: str,
        profile: str,
        flag: str,
        context: dict[str, Any] | None = None,
    ) -> Any:
        """One flag evaluated for ``context`` (OFREP single evaluation); raises
        :class:`ConfigurationError` with ``code`` ``FLAG_NOT_FOUND`` for a flag not in the document."""
        return self._ofrep(application, environment, profile, "/" + quote(flag, safe=""), context)["value"]

    def close(self) -> None:
        with self._lock:
            self.close_unlocked()

    # ------------------------------------------------------------------ wire
    def _ofrep(
        self, application: str, environment: str, profile: str, suffix: str, context: dict[str, Any] | None
    ) -> Any:
        path = _path((application, environment, profile)) + "/ofrep/v1/evaluate/flags" + suffix
        payload = json.dumps({"context": context or {}}, separators=(",", ":"), default=str).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        with self._lock:
            status, _, body = self._exchange(request)
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {}
        if status != 200:
            details = answer.get("errorDetails") if isinstance(answer, dict) else None
            code = answer.get("errorCode", "") if isinstance(answer, dict) else ""
            raise ConfigurationError(
                status, str(details or body.decode("utf-8", "replace").strip()), str(code)
            )
        return answer

    def _exchange(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        # A kept-alive connection can go stale while Lambda froze the environment: the requests
        # are idempotent, so one on a reused connection is tried once more on a fresh one.
        attempts = 2 if self._sock is not None else 1
        try:
            for attempt in range(attempts):
                try:
                    return self._round_trip(request)
                except (ConnectionError, _Closed):
                    self.close_unlocked()
                    if attempt == attempts - 1:
                        raise
            raise AssertionError("unreachable")
        except (ConnectionError, _Closed):
            raise ExtensionUnavailable(f"the extension closed the connection on {self._where()}") from None
        except (TimeoutError, BlockingIOError):  # BlockingIOError: the kernel's timeout expired
            self.close_unlocked()
            raise ExtensionUnavailable(f"no answer within {self.timeout} s from {self._where()}") from None
        except OSError as error:
            self.close_unlocked()
            raise ExtensionUnavailable(f"cannot reach the extension on {self._where()}: {error}") from None

    def _revalidated(self, known: _Known) -> bool:
        """Under the lock: True when the extension answered the conditional read with a bare 304
        on the open connection. False when there is no connection, or any other answer: the
        general path then asks again (every read here is idempotent)."""
        sock = self._sock
        if sock is None:
            return False
        buffer = self._buffer
        try:
            sock.sendall(known.conditional)
            got = sock.recv_into(self._view)
        except OSError:
            self.close_unlocked()
            return False
        # A whole 304 head in one segment, and no Connection field that could close it.
        if (
            got > 12
            and buffer.startswith(b"304", 9)
            and buffer.find(b"\r\n\r\n", 0, got) == got - 4
            and buffer.find(b"onnection", 0, got) < 0
        ):
            known.checked = self._clock()
            return True
        self.close_unlocked()  # a partial or other answer: start over on a fresh connection
        return False

    def _round_trip(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        sock = self._sock or self._connect()
        sock.sendall(request)
        buffer = self._buffer
        got = sock.recv_into(self._view)
        if not got:
            raise _Closed
        end = buffer.find(b"\r\n\r\n", 0, got)
        while end < 0:
            if got >= MAX_HEAD:
                raise ConfigurationError(502, "response head too large")
            count = sock.recv_into(self._view[got:])
            if not count:
                raise _Closed
            got += count
            end = buffer.find(b"\r\n\r\n", 0, got)
        # The warm read's answer, "unchanged", needs none of its fields: no parsing (a 304 has no
        # body, and only a Connection field could change what happens next).
        if buffer[9:12] == b"304" and buffer.find(b"onnection", 0, end) < 0:
            return 304, _NO_FIELDS, b""
        status, headers = _parse_head(bytes(buffer[:end]))
        length = int(headers.get("content-length", "0"))
        start = end + 4
        if got - start >= length:
            body = bytes(self._buffer[start : start + length])
        else:
            body = _read_body(sock, bytes(self._buffer[start:got]), length)
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
        # The timeout is the kernel's (SO_RCVTIMEO/SO_SNDTIMEO) on a blocking socket: a Python
        # socket timeout would poll() before every send and receive, a third of a warm read.
        sock.settimeout(None)
        seconds = int(self.timeout)
        interval = struct.pack("ll", seconds, int((self.timeout - seconds) * 1e6))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, interval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, interval)
        self._sock = sock
        return sock

    def close_unlocked(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _where(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"


_NO_FIELDS: dict[str, str] = {}


class _Closed(Exception):
    """The peer closed the connection before a complete response."""


def _path(key: tuple[str, str, str]) -> str:
    return "/applications/{}/environments/{}/configurations/{}".format(
        *(quote(part, safe="") for part in key)
    )


def _get_request(key: tuple[str, str, str]) -> bytes:
    return f"GET {_path(key)} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


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
