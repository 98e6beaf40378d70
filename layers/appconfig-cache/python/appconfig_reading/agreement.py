"""Whether JSON readers read a body as the YAML pass did: the last check of one reading.

Consumers read a body without a syntax-naming content type as JSON when it is JSON text, and a
body typed JSON as JSON: so a feature file that is JSON text must mean the same as JSON and as
YAML. The scalar rules already refuse what YAML 1.1 reads differently from JSON (``1E5``); this
check compares the two readings outright and names the first value where they part.
"""

from __future__ import annotations

import json

from appconfig_reading.errors import DocumentError, Issue
from appconfig_reading.json_text import looks_like_json, read_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from appconfig_reading.errors import PathPart

_KINDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "a mapping",
}


def json_disagreement(text: str, data: Any) -> Issue | None:
    """None when ``text`` is not JSON text or JSON reads it as ``data``; else where they part
    (an issue with a path, or with a position for a token JSON refuses)."""
    if not looks_like_json(text):
        return None
    try:
        other = read_json(text)
    except DocumentError as error:
        if error.code == "json-syntax":
            return None  # not JSON text: every reader but a JSON-typed one reads it as YAML
        message = f"{error.message}, while YAML reads the file: write it so both read it alike"
        return Issue(error.line, error.column, message, error.code)
    if json.dumps(other) == json.dumps(data):
        return None
    path, json_value, yaml_value = _first_difference(other, data, [])
    message = (
        f"JSON reads {_kind(json_value)} here and YAML {_kind(yaml_value)}: "
        "write the value so both read it alike"
    )
    return Issue(None, None, message, "json-yaml", path)


def _kind(value: Any) -> str:
    return "null" if value is None else _KINDS.get(type(value), "a value")


def _first_difference(a: Any, b: Any, path: list[PathPart]) -> tuple[list[PathPart], Any, Any]:
    if type(a) is type(b) and isinstance(a, dict):
        for (key_a, value_a), (key_b, value_b) in zip(a.items(), b.items(), strict=False):
            if key_a != key_b:
                return [*path, key_a], value_a, value_b
            if json.dumps(value_a) != json.dumps(value_b):
                return _first_difference(value_a, value_b, [*path, key_a])
    elif type(a) is type(b) and isinstance(a, list):
        for index, (item_a, item_b) in enumerate(zip(a, b, strict=False)):
            if json.dumps(item_a) != json.dumps(item_b):
                return _first_difference(item_a, item_b, [*path, index])
    return path, a, b
