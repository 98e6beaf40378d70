"""The AWS AppConfig Agent's HTTP API over the cache: routes, status codes, headers.

``GET /applications/{a}/environments/{e}/configurations/{p}`` (names or IDs, percent-encoded),
``?flag=NAME`` (repeatable) and ``GET /ping``. Errors are short ``text/plain`` bodies with the
statuses of the agent's OpenAPI (400, 404, 500, 502, 504); other methods get 405.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from appconfig_cache_extension.flags import FlagDocuments, FlagError
from appconfig_cache_extension.http_request import HttpError, Request
from appconfig_cache_extension.plane import PlaneError
from appconfig_cache_extension.settings import MAX_IDENTIFIER, ConfigKey

if TYPE_CHECKING:
    from appconfig_cache_extension.cache import Cache, Snapshot

VERSION = "1.0.0"
REASONS = {
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class Reply:
    """A response head (status line and fields, without the blank line) and its body."""

    __slots__ = ("body", "close", "head")

    def __init__(self, head: bytes, body: bytes = b"", close: bool = False) -> None:
        self.head = head
        self.body = body
        self.close = close


def text_reply(status: int, message: str, *, close: bool = False, extra: str = "") -> Reply:
    body = (message + "\n").encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{extra}"
    ).encode()
    return Reply(head, body, close)


def error_reply(error: HttpError) -> Reply:
    return text_reply(error.status, error.message, close=True)


class Api:
    def __init__(self, cache: Cache, flags: FlagDocuments | None = None) -> None:
        self._cache = cache
        self._flags = flags or FlagDocuments()

    def respond(self, request: Request, wait: bool) -> Reply | None:  # noqa: PLR0911 - one return per outcome
        """The reply; with ``wait=False``, None when it needs to wait for AppConfig."""
        try:
            route = _route(request)
            if route is None:
                return text_reply(200, f"appconfig-cache {VERSION} healthy")
            key, flags = route
            snapshot = self._cache.get(key) if wait else self._cache.lookup(key)
            if snapshot is None:
                return None
            if flags:
                if not wait and not self._flags.parsed(snapshot):
                    return None  # parse on a worker thread
                return self._flag_reply(snapshot, flags)
            return self._config_reply(snapshot, request.header("if-none-match"))
        except HttpError as error:
            return text_reply(error.status, error.message, extra=_allow(error.status))
        except PlaneError as error:
            return text_reply(error.status, str(error))
        except FlagError as error:
            return text_reply(error.status, str(error))

    def _config_reply(self, snapshot: Snapshot, if_none_match: str | None) -> Reply:
        heads = snapshot.rendered
        if heads is None:  # rendered once per version, so a warm read formats nothing
            heads = snapshot.rendered = _render(snapshot)
        if if_none_match is not None and _matches(if_none_match, snapshot.etag):
            return Reply(heads[1])
        return Reply(heads[0], snapshot.content)

    def _flag_reply(self, snapshot: Snapshot, names: list[str]) -> Reply:
        selected = self._flags.select(snapshot, names)
        import json

        body = json.dumps(selected, separators=(",", ":")).encode()
        version = f"Configuration-Version: {snapshot.version}\r\n" if snapshot.version else ""
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{version}"
        ).encode()
        return Reply(head, body)


def _render(snapshot: Snapshot) -> tuple[bytes, bytes]:
    common = f"ETag: {snapshot.etag}\r\n"
    if snapshot.version:
        common += f"Configuration-Version: {_header_safe(snapshot.version)}\r\n"
    if snapshot.label:
        common += f"Version-Label: {_header_safe(snapshot.label)}\r\n"
    ok = (
        f"HTTP/1.1 200 OK\r\nContent-Type: {_header_safe(snapshot.content_type)}\r\n"
        f"Content-Length: {len(snapshot.content)}\r\n{common}"
    )
    not_modified = f"HTTP/1.1 304 Not Modified\r\n{common}"
    return ok.encode("latin-1", "replace"), not_modified.encode("latin-1", "replace")


def _header_safe(value: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in value)


def _matches(if_none_match: str, etag: str) -> bool:
    tags = (t.strip().removeprefix("W/") for t in if_none_match.split(","))
    return any(t in ("*", etag) for t in tags)


def _allow(status: int) -> str:
    return "Allow: GET\r\n" if status == 405 else ""


def _route(request: Request) -> tuple[ConfigKey, list[str]] | None:
    """The configuration and flags a request names; None for ``/ping``."""
    path, _, query = request.target.partition("?")
    if "#" in request.target or not path.startswith("/"):
        raise HttpError(400, "request target must be an absolute path")
    if path == "/ping":
        _require_get(request)
        return None
    parts = path.split("/")
    if len(parts) != 7 or (parts[1], parts[3], parts[5]) != (
        "applications",
        "environments",
        "configurations",
    ):
        raise HttpError(
            404, "no such route; use /applications/{app}/environments/{env}/configurations/{profile}"
        )
    _require_get(request)
    key = ConfigKey(*(_identifier(p) for p in (parts[2], parts[4], parts[6])))
    return key, _flags(query)


def _require_get(request: Request) -> None:
    if request.method != "GET":
        raise HttpError(405, "only GET is allowed")


def _decode(raw: str, *, plus_is_space: bool = False) -> str:
    if _BAD_ESCAPE.search(raw):
        raise HttpError(400, "malformed percent-encoding")
    if plus_is_space:
        raw = raw.replace("+", " ")
    try:
        return _unquote(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "percent-encoding is not UTF-8") from None


def _unquote(raw: str) -> bytes:
    """Percent-decoding of an already validated ASCII string (``urllib.parse`` costs start-up time)."""
    first, *rest = raw.split("%")
    decoded = bytearray(first.encode("ascii"))
    for part in rest:
        decoded += bytes.fromhex(part[:2]) + part[2:].encode("ascii")
    return bytes(decoded)


def _identifier(raw: str) -> str:
    name = _decode(raw)
    if name in {"", ".", ".."}:
        raise HttpError(400, "empty or relative path segment")
    if len(name) > MAX_IDENTIFIER:
        raise HttpError(400, f"names and IDs are at most {MAX_IDENTIFIER} characters")
    if not name.isprintable():
        raise HttpError(400, "control characters in a name")
    return name


def _flags(query: str) -> list[str]:
    names: list[str] = []
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        if _decode(name, plus_is_space=True) != "flag":
            continue  # unknown parameters are ignored, as AWS's agent does
        flag = _decode(value, plus_is_space=True)
        if not flag or not flag.isprintable():
            raise HttpError(400, "empty or unprintable flag name")
        if flag not in names:
            names.append(flag)
    return names
