"""restJson1 on the server side, driven by botocore's own service models.

Routing, parameter binding (URI labels, query strings, headers, JSON body or payload),
input validation (required members, lengths, ranges, patterns, enums) and response
serialization (header-bound members, the payload member, JSON body with epoch timestamps)
are all read from ``botocore/data/<service>/<version>/service-2.json``. The wire format is
therefore exactly what real boto3 clients send and expect, including AWS's own oddities such
as DeleteDeploymentStrategy's ``/deployementstrategies/`` path.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import OperationModel, Shape, StructureShape

from localcloud.appconfig.errors import ServiceError, bad_request
from localcloud.appconfig.faults import NO_SDK, SdkAttempt

SERVICES = ("appconfig", "appconfigdata")


@dataclass(frozen=True)
class Route:
    service: str
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]
    literal_segments: int


@dataclass(frozen=True)
class Request:
    service: str
    operation: str
    params: dict[str, Any]
    region: str | None = None
    """The Region the request is signed for; None when it is not signed."""
    attempt: SdkAttempt = NO_SDK
    """Which attempt of which SDK call this is (for fault rules aimed at one call)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(service: str) -> Any:
    return _session().get_service_model(service)


@cache
def routes() -> tuple[Route, ...]:
    table: list[Route] = []
    for service in SERVICES:
        model = service_model(service)
        for name in model.operation_names:
            op = model.operation_model(name)
            path = op.http["requestUri"].split("?")[0]
            labels: list[str] = []
            regex = ""
            literal = 0
            for segment in path.strip("/").split("/"):
                match = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
                if match:
                    labels.append(match.group(1))
                    regex += "/(.+)" if match.group(2) else "/([^/]+)"
                else:
                    literal += 1
                    regex += "/" + re.escape(segment)
            table.append(
                Route(service, op, op.http["method"], re.compile(regex or "/"), tuple(labels), literal)
            )
    # Literal segments win over labels when two templates could match the same path.
    table.sort(key=lambda r: -r.literal_segments)
    return tuple(table)


def route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in routes():
        if candidate.method != method:
            continue
        match = candidate.pattern.fullmatch(path)
        if match:
            return candidate, {
                label: unquote(v) for label, v in zip(candidate.labels, match.groups(), strict=True)
            }
    return None


def parse_request(
    found: Route, labels: dict[str, str], query: str, headers: dict[str, str], body: bytes
) -> Request:
    """Bind the HTTP request to the operation's input members, then validate them."""
    op = found.operation
    shape = op.input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return Request(found.service, op.name, params)
    assert isinstance(shape, StructureShape)
    texts = _bound_texts(shape, labels, parse_qs(query, keep_blank_values=True), headers)
    payload_name = shape.serialization.get("payload")
    document: dict[str, Any] = {}
    if body and not payload_name:
        loaded = _load_json(body)
        if not isinstance(loaded, dict):
            raise bad_request("The request body must be a JSON object")
        document = loaded
    for name, member in shape.members.items():
        wire_name = member.serialization.get("name", name)
        if name in texts:
            params[name] = texts[name]
        elif name == payload_name:
            if member.type_name in ("blob", "string"):
                params[name] = body if member.type_name == "blob" else body.decode()
            elif body:
                params[name] = _from_json(member, _load_json(body))
        elif not member.serialization.get("location") and document.get(wire_name) is not None:
            params[name] = _from_json(member, document[wire_name])
    validate(shape, params, "")
    return Request(found.service, op.name, params)


def _bound_texts(
    shape: StructureShape, labels: dict[str, str], qs: dict[str, list[str]], headers: dict[str, str]
) -> dict[str, Any]:
    """Members bound to the URI, the query string or a header, converted from text."""
    lower_headers = {k.lower(): v for k, v in headers.items()}
    found: dict[str, Any] = {}
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if where == "uri" and wire_name in labels:
            found[name] = _from_text(member, labels[wire_name])
        elif where == "querystring" and wire_name in qs:
            values = qs[wire_name]
            found[name] = (
                [_from_text(member.member, v) for v in values]  # type: ignore[attr-defined]
                if member.type_name == "list"
                else _from_text(member, values[-1])
            )
        elif where == "header" and wire_name.lower() in lower_headers:
            found[name] = _from_text(member, lower_headers[wire_name.lower()])
    return found


def _load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as error:
        raise bad_request(f"The request body is not valid JSON: {error}") from error


def _from_text(shape: Shape, text: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError as error:
        raise bad_request(f"'{text}' is not a valid {kind}") from error
    if kind == "boolean":
        return text.strip().lower() == "true"
    return text


def _from_json(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            name: _from_json(member, value[member.serialization.get("name", name)])
            for name, member in shape.members.items()  # type: ignore[attr-defined]
            if value.get(member.serialization.get("name", name)) is not None
        }
    if kind == "list" and isinstance(value, list):
        return [_from_json(shape.member, v) for v in value]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(value, dict):
        return {k: _from_json(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    return value


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def validate(shape: Shape, value: Any, where: str) -> None:
    """The model's constraints, as AWS checks them server side (botocore checks only some)."""
    kind = shape.type_name
    label = where or shape.name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        prefix = f"{where}." if where else ""
        for required in shape.required_members:
            if value.get(required) is None:
                raise bad_request(f"Missing required parameter {prefix}{required}")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                validate(member, value[name], f"{prefix}{name}")
    elif kind == "list":
        _check_range(shape, len(value), label, " long")
        for i, item in enumerate(value):
            validate(shape.member, item, f"{label}[{i}]")  # type: ignore[attr-defined]
    elif kind == "map":
        _check_range(shape, len(value), label, " long")
        for key, item in value.items():
            validate(shape.key, key, f"{label} key")  # type: ignore[attr-defined]
            validate(shape.value, item, f"{label}.{key}")  # type: ignore[attr-defined]
    elif kind == "string":
        _check_string(shape, value, label)
    elif kind == "blob":
        _check_range(shape, len(value), label, " long")
    elif kind in ("integer", "long", "float", "double"):
        _check_range(shape, value, label, "")


def _check_string(shape: Shape, value: str, label: str) -> None:
    _check_range(shape, len(value), label, " long")
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        raise bad_request(f"{label} must be one of {', '.join(enum)}")
    pattern = _compiled(shape.metadata["pattern"]) if "pattern" in shape.metadata else None
    if pattern and not pattern.search(value):
        raise bad_request(f"{label} '{value}' does not match {shape.metadata['pattern']}")


def _check_range(shape: Shape, measure: float, label: str, unit: str) -> None:
    meta = shape.metadata
    if "min" in meta and measure < meta["min"]:
        raise bad_request(f"{label} must be at least {meta['min']}{unit}")
    if "max" in meta and measure > meta["max"]:
        raise bad_request(f"{label} must be at most {meta['max']}{unit}")


def serialize_output(service: str, operation: str, result: dict[str, Any]) -> Response:
    op = service_model(service).operation_model(operation)
    status = int(op.http.get("responseCode", 200))
    headers: dict[str, str] = {}
    shape = op.output_shape
    if shape is None:
        return Response(status, headers, b"")
    assert isinstance(shape, StructureShape)
    payload_name = shape.serialization.get("payload")
    document: dict[str, Any] = {}
    body = b""
    for name, member in shape.members.items():
        if name not in result or result[name] is None:
            continue
        value = result[name]
        where = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if where == "header":
            headers[wire_name] = _to_text(value)
        elif where == "statusCode":
            status = int(value)
        elif name == payload_name:
            if member.type_name == "blob":
                body = bytes(value)
            elif member.type_name == "string":
                body = str(value).encode()
            else:
                body = json.dumps(_to_json(member, value)).encode()
                headers.setdefault("Content-Type", "application/json")
        else:
            document[wire_name] = _to_json(member, value)
    if not payload_name:
        body = json.dumps(document).encode()
        headers["Content-Type"] = "application/json"
    return Response(status, headers, body)


def serialize_error(error: ServiceError) -> Response:
    body = json.dumps(_jsonable(error.body())).encode()
    return Response(
        error.status,
        {"x-amzn-ErrorType": error.code, "Content-Type": "application/json"},
        body,
    )


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _to_json(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return {
            member.serialization.get("name", name): _to_json(member, value[name])
            for name, member in shape.members.items()  # type: ignore[attr-defined]
            if value.get(name) is not None
        }
    if kind == "list":
        return [_to_json(shape.member, v) for v in value]  # type: ignore[attr-defined]
    if kind == "map":
        return {k: _to_json(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind == "timestamp":
        return value.timestamp() if isinstance(value, datetime) else value
    if kind == "blob":
        return base64.b64encode(value).decode()
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    return value


__all__ = [
    "Request",
    "Response",
    "Route",
    "ServiceError",
    "parse_request",
    "route",
    "serialize_error",
    "serialize_output",
    "service_model",
]
