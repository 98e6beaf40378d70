"""The feature file's JSON Schema: a compiled validator for the fast valid path, a full report otherwise.

The schema file is ``schemas/feature-file.schema.json`` (linked into this package, copied into the
build): one source of truth. fastjsonschema compiles it to Python once per process and stops at the
first error, so a valid file costs one quick pass. Each flag is checked on its own, so when a file
is invalid only the flags that failed go through jsonschema, which collects every error with its
path (the slow part, kept off the valid path and limited to what is wrong).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from feature_validator.errors import PathPart, Problem
from feature_validator.locate import Locator

SCHEMA_FILE = Path(__file__).with_name("feature-file.schema.json")
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def _root_schema() -> dict[str, Any]:
    """The document's own constraints, without descending into the flags."""
    return {k: v for k, v in schema().items() if k not in ("additionalProperties", "$defs")}


def _flag_schema() -> dict[str, Any]:
    whole = schema()
    return {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": "#/$defs/feature"}


@cache
def _fast() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    import fastjsonschema

    return fastjsonschema.compile(_root_schema()), fastjsonschema.compile(_flag_schema())


def check(data: Any, locator: Locator) -> list[Problem]:
    """Every schema error in ``data``, located; empty when the document is valid."""
    import fastjsonschema

    root_ok, flag_ok = _fast()
    failed: list[str] = []
    try:
        root_ok(data)
    except fastjsonschema.JsonSchemaException:
        return list(_report(_root_schema(), data, (), locator))
    for name, flag in data.items():
        try:
            flag_ok(flag)
        except fastjsonschema.JsonSchemaException:
            failed.append(name)
    problems: list[Problem] = []
    for name in failed:
        problems.extend(_report(_flag_schema(), data[name], (name,), locator))
    return problems


def _report(
    subschema: dict[str, Any], instance: Any, prefix: tuple[PathPart, ...], locator: Locator
) -> Iterator[Problem]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(subschema)
    for error in validator.iter_errors(instance):
        yield from _problems(error, prefix, locator)


def _problems(error: Any, prefix: tuple[PathPart, ...], locator: Locator) -> Iterator[Problem]:
    path = [*prefix, *error.absolute_path]
    keyword: str = error.validator
    expected = error.validator_value
    instance = error.instance
    code = f"schema-{keyword}"
    if keyword == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        for key in instance:
            if key not in allowed:
                message = (
                    f"unexpected key (allowed here: {', '.join(allowed)})" if allowed else "unexpected key"
                )
                yield locator.problem(path, message + _did_you_mean(key, allowed), code, at_key=key)
        return
    if keyword == "required":
        for key in expected:
            if key not in instance:
                yield locator.problem(path, f"missing required key '{key}'", code)
        return
    if keyword == "propertyNames":
        yield locator.problem(path, "names must be non-empty strings", code, at_key=str(instance))
        return
    message = _message(keyword, expected, instance)
    if keyword == "enum" and isinstance(instance, str):
        message += _did_you_mean(instance, [str(v) for v in expected])
    if _expects_string(keyword, expected) and not isinstance(instance, str):
        reading = locator.reads_as(path)
        if reading:
            message = f"{message}: {reading}; quote it"
    yield locator.problem(path, message, code)


def _message(keyword: str, expected: Any, instance: Any) -> str:  # noqa: PLR0911 - one message per keyword
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {wanted}, found {json_type(instance)}"
    if keyword == "enum":
        return f"must be one of: {', '.join(map(str, expected))}"
    if keyword == "const":
        return f"must be {expected}"
    if keyword == "not":
        return "must not be null" if expected == {"type": "null"} else "is not allowed here"
    if keyword in ("minItems", "minLength"):
        return "must not be empty" if expected == 1 else f"needs at least {expected} items"
    if keyword == "minProperties":
        return "the file defines no feature flags" if expected == 1 else f"needs at least {expected} entries"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "uniqueItems":
        return "must not list the same item twice"
    if keyword == "pattern":
        return f"does not have the expected format ({expected})"
    return f"breaks the schema's '{keyword}' rule"


def _did_you_mean(written: str, names: list[str]) -> str:
    """A close name from the schema (schema words only: nothing from the file is repeated)."""
    close = difflib.get_close_matches(written, names, n=1, cutoff=0.75)
    return f"; did you mean {close[0]}?" if close else ""


def _expects_string(keyword: str, expected: Any) -> bool:
    if keyword == "type":
        return expected == "string" or (isinstance(expected, list) and "string" in expected)
    if keyword == "enum":
        return all(isinstance(v, str) for v in expected)
    return keyword in ("const", "pattern", "minLength")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def action_names() -> list[str]:
    """The rule actions the schema lists (a test compares them with Powertools' RuleAction)."""
    condition: Mapping[str, Any] = schema()["$defs"]["condition"]
    return list(condition["properties"]["action"]["enum"])
