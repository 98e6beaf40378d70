"""Strict HTTP/1.x request-head parsing: anything ambiguous is refused, never guessed at.

The clients are the function's own code, but a malformed request must cost one 4xx and a
closed connection, never the server: every check here raises :class:`HttpError`.
"""

from __future__ import annotations

import re

MAX_REQUEST_LINE = 8 * 1024
MAX_HEAD = 32 * 1024
MAX_HEADERS = 100
MAX_BODY = 64 * 1024  # an OFREP evaluation context; larger bodies are refused with 413

_METHOD = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")  # visible ASCII, no spaces: anything else is a bad encoding
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\x00-\x08\x0a-\x1f\x7f]*?)[ \t]*")


class HttpError(Exception):
    """A request the server answers with ``status`` (and, when its head is malformed, then closes)."""

    def __init__(self, status: int, message: str, *, allow: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = f"Allow: {allow}\r\n" if allow else ""


class Request:
    """A parsed request head. Heads repeat (a client sends the same bytes for the same read), so
    the server keeps parsed heads and shares them: nothing may change a Request once parsed,
    except ``route``, which the API fills in once, the same way for every sharer."""

    __slots__ = ("body_length", "headers", "keep_alive", "method", "route", "target", "version")

    def __init__(self, method: str, target: str, version: tuple[int, int]) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers: dict[str, list[str]] = {}
        self.keep_alive = True
        self.body_length = 0
        self.route: object = None

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return ", ".join(values) if values else None

    def _keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        if self.version >= (1, 1):
            return "close" not in tokens
        return "keep-alive" in tokens


def parse_head(head: bytes) -> Request:
    """Parse a request head (request line and header lines, without the blank line)."""
    line, _, rest = head.partition(b"\r\n")
    if len(line) > MAX_REQUEST_LINE:
        raise HttpError(414, "request line too long")
    if len(head) > MAX_HEAD:
        raise HttpError(431, "request header fields too large")
    request = _request_line(line)
    _headers(request, rest.split(b"\r\n") if rest else [])
    request.keep_alive = request._keep_alive()
    return request


def _request_line(line: bytes) -> Request:
    parts = line.split(b" ")
    if len(parts) != 3:
        raise HttpError(400, "malformed request line")
    method, target, version = parts
    if not _METHOD.fullmatch(method):
        raise HttpError(400, "malformed method")
    if not _TARGET.fullmatch(target):
        raise HttpError(400, "malformed request target")
    match = _VERSION.fullmatch(version)
    if not match:
        raise HttpError(400, "malformed HTTP version")
    if match[1] != b"1":
        raise HttpError(505, "HTTP version not supported")
    return Request(method.decode("ascii"), target.decode("ascii"), (1, int(match[2])))


def _headers(request: Request, lines: list[bytes]) -> None:
    if len(lines) > MAX_HEADERS:
        raise HttpError(431, "too many header fields")
    for raw in lines:
        header = _HEADER.fullmatch(raw)
        if header is None:
            # Covers obsolete line folding, a space before the colon, bare CR/LF and NUL bytes:
            # each is a known request-smuggling vector.
            raise HttpError(400, "malformed header field")
        name = header[1].decode("ascii").lower()
        request.headers.setdefault(name, []).append(header[2].decode("latin-1"))
    lengths = request.headers.get("content-length", [])
    if lengths and (len(set(lengths)) != 1 or not lengths[0].isdigit()):
        raise HttpError(400, "invalid Content-Length")
    if lengths and "transfer-encoding" in request.headers:
        raise HttpError(400, "both Content-Length and Transfer-Encoding")
    if "transfer-encoding" in request.headers:
        raise HttpError(411, "a request body needs Content-Length")
    if lengths:
        request.body_length = int(lengths[0])
        if request.body_length > MAX_BODY:
            raise HttpError(413, f"request bodies are at most {MAX_BODY} bytes")
    # RFC 9112 section 3.2: an HTTP/1.1 request without exactly one Host field is a 400.
    hosts = request.headers.get("host")
    if hosts is None:
        if request.version >= (1, 1):
            raise HttpError(400, "an HTTP/1.1 request needs a Host header")
    elif len(hosts) != 1:
        raise HttpError(400, "more than one Host header")
