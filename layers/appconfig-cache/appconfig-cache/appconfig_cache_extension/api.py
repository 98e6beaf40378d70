"""The HTTP API over the cache: AWS AppConfig Agent's routes, flags for any client, and OFREP.

* ``GET /applications/{a}/environments/{e}/configurations/{p}`` (names or IDs, percent-encoded):
  the configuration's bytes, with ``ETag``/``If-None-Match`` (304), ``Configuration-Version`` and
  ``Version-Label``.
* ``?flag=NAME`` (repeatable): ``{"NAME": <the flag's entry>}``, as AWS's agent answers it.
* ``Context: key=value`` headers (repeated or comma-separated, as AWS documents for its agent):
  the flags evaluated for that context by Powertools' rules, ``{"NAME": <value>}``: exactly what
  ``FeatureFlags.evaluate`` returns; every flag of the document without ``?flag=``.
* ``POST .../configurations/{p}/ofrep/v1/evaluate/flags[/{key}]`` and
  ``GET .../ofrep/v1/configuration``: the OpenFeature Remote Evaluation Protocol, so
  OpenFeature's OFREP providers work against the configuration's path as their base URL.
* ``GET /ping``.

Errors are short ``text/plain`` bodies with the statuses of the agent's OpenAPI (400, 404, 500,
502, 504), JSON bodies with OpenFeature error codes on the OFREP routes, and 405 for other methods.
"""

from __future__ import annotations

import json

from appconfig_cache_extension.cache import Flight, Snapshot
from appconfig_cache_extension.flags import TARGETING_KEY, FlagError, Flags, check_context
from appconfig_cache_extension.http_request import HttpError
from appconfig_cache_extension.paths import PathError, percent_decode, split_config_path
from appconfig_cache_extension.plane import PlaneError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from appconfig_cache_extension.cache import Cache
    from appconfig_cache_extension.http_request import Request
    from appconfig_cache_extension.paths import ConfigKey

VERSION = "2.0.0"
REASONS = {
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}
# Responses up to this size are kept as one buffer with their head: one send() per request.
WIRE_LIMIT = 64 * 1024
MAX_RENDERED = 64  # ?flag= combinations kept rendered per version
OFREP = ("ofrep", "v1")


class Reply:
    """A response head (status line and fields, without the blank line) and its body; ``wire`` is
    the whole keep-alive response in one buffer, when it is small enough to keep."""

    __slots__ = ("body", "close", "head", "wire")

    def __init__(self, head: bytes, body: bytes = b"", close: bool = False) -> None:
        self.head = head
        self.body = body
        self.close = close
        self.wire = head + b"\r\n" + body if len(body) <= WIRE_LIMIT and not close else None


def text_reply(status: int, message: str, *, close: bool = False, extra: str = "") -> Reply:
    body = (message + "\n").encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{extra}"
    ).encode()
    return Reply(head, body, close)


def json_reply(status: int, value: Any, extra: str = "") -> Reply:
    body = json.dumps(value, separators=(",", ":"), default=str).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}"
    ).encode()
    return Reply(head, body)


def error_reply(error: HttpError) -> Reply:
    return text_reply(error.status, error.message, close=True)


# ---------------------------------------------------------------------------------------- routes
class Route:
    """What a request asks for, read once per distinct request head (the server shares heads)."""

    __slots__ = ("context", "flag", "flags", "key", "kind")

    def __init__(
        self,
        kind: str,
        key: ConfigKey | None = None,
        *,
        flags: tuple[str, ...] = (),
        context: dict[str, Any] | None = None,
        flag: str = "",
    ) -> None:
        self.kind = kind  # ping | config | ofrep-flag | ofrep-flags | ofrep-configuration
        self.key = key
        self.flags = flags
        self.context = context
        self.flag = flag


def route(request: Request) -> Route:
    """Raises :class:`HttpError` for a request no route takes."""
    path, _, query = request.target.partition("?")
    if "#" in request.target or not path.startswith("/"):
        raise HttpError(400, "request target must be an absolute path")
    if path == "/ping":
        _require(request, "GET")
        return Route("ping")
    try:
        split = split_config_path(path)
    except PathError as error:
        raise HttpError(400, str(error)) from None
    if split is None:
        raise HttpError(
            404, "no such route; use /applications/{app}/environments/{env}/configurations/{profile}"
        )
    key, rest = split
    if not rest:
        _require(request, "GET")
        return Route("config", key, flags=_flag_names(query), context=_context_headers(request))
    if tuple(rest[:2]) == OFREP:
        tail = rest[2:]
        if tail == ["configuration"]:
            _require(request, "GET")
            return Route("ofrep-configuration", key)
        if tail[:2] == ["evaluate", "flags"] and len(tail) <= 3:
            _require(request, "POST")
            if len(tail) == 2:
                return Route("ofrep-flags", key)
            try:
                flag = percent_decode(tail[2])
            except PathError as error:
                raise HttpError(400, str(error)) from None
            return Route("ofrep-flag", key, flag=flag)
    raise HttpError(404, "no such route under a configuration; OFREP is at .../ofrep/v1/evaluate/flags")


def _require(request: Request, method: str) -> None:
    if request.method != method:
        raise HttpError(405, f"only {method} is allowed here", allow=method)


def _flag_names(query: str) -> tuple[str, ...]:
    names: list[str] = []
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        try:
            if percent_decode(name, plus_is_space=True) != "flag":
                continue  # unknown parameters are ignored, as AWS's agent does
            flag = percent_decode(value, plus_is_space=True)
        except PathError as error:
            raise HttpError(400, str(error)) from None
        if not flag or not flag.isprintable():
            raise HttpError(400, "empty or unprintable flag name")
        if flag not in names:
            names.append(flag)
    return tuple(names)


def _context_headers(request: Request) -> dict[str, Any] | None:
    """``Context: k=v`` headers, repeated or comma-separated; None when there are none at all."""
    values = request.headers.get("context")
    if values is None:
        return None
    context: dict[str, Any] = {}
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            name, equals, field = item.partition("=")
            name = name.strip()
            if not equals or not name:
                raise HttpError(400, "Context headers are key=value items, comma-separated or repeated")
            if name in context:
                raise HttpError(400, f"Context names {name!r} more than once")
            context[name] = field.strip()
    return context


# ------------------------------------------------------------------------------------------- api
class Api:
    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    def respond(self, request: Request, body: bytes = b"", resumed: bool = False) -> Reply | Flight:
        """The reply, or the flight to wait for (then this is called again with ``resumed``)."""
        found = request.route
        try:
            if found is None:
                found = request.route = route(request)
            elif isinstance(found, HttpError):
                raise found
        except HttpError as error:
            request.route = error  # the same head is refused the same way, without parsing again
            return text_reply(error.status, error.message, extra=error.extra)
        assert isinstance(found, Route)
        try:
            return self._answer(found, request, body, resumed)
        except HttpError as error:
            return text_reply(error.status, error.message, extra=error.extra)
        except FlagError as error:
            if found.kind.startswith("ofrep"):
                return _ofrep_error(error, found)
            return text_reply(error.status, str(error))

    def _answer(  # noqa: PLR0911 - one return per outcome
        self, found: Route, request: Request, body: bytes, resumed: bool
    ) -> Reply | Flight:
        if found.kind == "ping":
            return text_reply(200, f"appconfig-cache {VERSION} healthy")
        assert found.key is not None
        current = self._cache.peek(found.key) if resumed else self._cache.lookup(found.key)
        if isinstance(current, Flight):
            return current
        if isinstance(current, PlaneError):
            return self._plane_error(found, current)
        if found.kind == "config" and not found.flags and found.context is None:
            return _raw_reply(current, request.header("if-none-match"))
        flags = self._cache.prepared(found.key, current)
        if isinstance(flags, Flight):
            return flags
        if isinstance(flags, Exception):
            raise flags
        assert isinstance(flags, Flags)
        if found.kind == "config":
            return _flags_reply(current, flags, found)
        return self._ofrep(found, current, flags, body, request)

    def _plane_error(self, found: Route, error: PlaneError) -> Reply:
        if found.kind.startswith("ofrep"):
            code = "FLAG_NOT_FOUND" if error.status == 404 else "GENERAL"
            return _ofrep_error(FlagError(error.status, code, str(error)), found)
        return text_reply(error.status, str(error))

    def _ofrep(self, found: Route, snapshot: Snapshot, flags: Flags, body: bytes, request: Request) -> Reply:
        if found.kind == "ofrep-configuration":
            return _ofrep_configuration(self._cache, request)
        context = _ofrep_context(body)
        metadata = {"configurationVersion": snapshot.version} if snapshot.version else {}
        if found.kind == "ofrep-flag":
            evaluation = flags.evaluate(found.flag, context)
            return json_reply(200, _ofrep_success(found.flag, evaluation, metadata))
        results = [_ofrep_success(name, flags.evaluate(name, context), metadata) for name in flags.document]
        payload = json.dumps({"flags": results}, separators=(",", ":"), default=str).encode()
        return _tagged_json(payload, request.header("if-none-match"))


def _raw_reply(snapshot: Snapshot, if_none_match: str | None) -> Reply:
    rendered = snapshot.rendered
    if rendered is None:  # rendered once per version, so a warm read formats nothing
        rendered = snapshot.rendered = {"raw": _render(snapshot)}
    ok: Reply
    not_modified: Reply
    ok, not_modified = rendered["raw"]
    if if_none_match is not None and _matches(if_none_match, snapshot.etag):
        return not_modified
    return ok


def _render(snapshot: Snapshot) -> tuple[Reply, Reply]:
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
    return Reply(ok.encode("latin-1", "replace"), snapshot.content), Reply(
        not_modified.encode("latin-1", "replace")
    )


def _flags_reply(snapshot: Snapshot, flags: Flags, found: Route) -> Reply:
    version = f"Configuration-Version: {_header_safe(snapshot.version)}\r\n" if snapshot.version else ""
    if found.context is None:  # AWS's form: the flags' own entries, the same for every caller
        rendered = snapshot.rendered
        if rendered is None:
            rendered = snapshot.rendered = {"raw": _render(snapshot)}
        reply: Reply | None = rendered.get(found.flags)
        if reply is None:
            reply = json_reply(200, {name: flags.raw(name) for name in found.flags}, version)
            if len(rendered) < MAX_RENDERED:
                rendered[found.flags] = reply
        return reply
    check_context(found.context)
    names = found.flags or tuple(flags.document)
    return json_reply(200, {name: flags.evaluate(name, found.context).value for name in names}, version)


def _ofrep_context(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        request = json.loads(body)
    except ValueError:
        raise FlagError(400, "INVALID_CONTEXT", "the request body is not JSON") from None
    context = request.get("context", {}) if isinstance(request, dict) else None
    if not isinstance(context, dict):
        raise FlagError(400, "INVALID_CONTEXT", 'the request body must be {"context": {...}}')
    targeting_key = context.get(TARGETING_KEY)
    if targeting_key is not None and not isinstance(targeting_key, str):
        raise FlagError(400, "INVALID_CONTEXT", f"{TARGETING_KEY} must be a string")
    check_context(context)
    return context


def _ofrep_success(name: str, evaluation: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": name,
        "value": evaluation.value,
        "reason": evaluation.reason,
        "variant": evaluation.variant,
        "metadata": metadata,
    }


def _ofrep_error(error: FlagError, found: Route) -> Reply:
    body: dict[str, Any] = {"errorCode": error.code, "errorDetails": str(error)}
    if found.kind == "ofrep-flag":
        body = {"key": found.flag, **body}
    return json_reply(error.status, body)


def _ofrep_configuration(cache: Cache, request: Request) -> Reply:
    payload = json.dumps(
        {
            "name": "appconfig-cache",
            "capabilities": {
                "cacheInvalidation": {
                    "polling": {"enabled": True, "minPollingIntervalMs": int(cache.interval * 1000)}
                },
                "flagEvaluation": {"supportedTypes": ["boolean", "string", "int", "float", "object"]},
            },
        },
        separators=(",", ":"),
    ).encode()
    return _tagged_json(payload, request.header("if-none-match"))


def _tagged_json(payload: bytes, if_none_match: str | None) -> Reply:
    """A JSON body whose ETag is its digest: a 304 is then exact even when the result depends on
    the time of day (schedule rules), not only on the version and the context."""
    import hashlib

    etag = '"' + hashlib.blake2b(payload, digest_size=12).hexdigest() + '"'
    if if_none_match is not None and _matches(if_none_match, etag):
        return Reply(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n".encode())
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        f"ETag: {etag}\r\n"
    ).encode()
    return Reply(head, payload)


def _header_safe(value: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in value)


def _matches(if_none_match: str, etag: str) -> bool:
    tags = (t.strip().removeprefix("W/") for t in if_none_match.split(","))
    return any(t in ("*", etag) for t in tags)
