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
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feature_validator.errors import MAX_REPORTED, FeatureFileInvalid, PathPart, Problem

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

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

    # Without the descriptions: the generated code rebuilds a schema's literal for every error it
    # raises, and a file that fails everywhere raises once per flag.
    return fastjsonschema.compile(_bare(_root_schema())), fastjsonschema.compile(_bare(_flag_schema()))


def _bare(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _bare(v) for k, v in node.items() if k not in ("description", "title")}
    if isinstance(node, list):
        return [_bare(v) for v in node]
    return node


def check(data: Any, locator: Locator) -> None:
    """Raise ``FeatureFileInvalid`` with the schema errors of ``data``, located; return if it is valid.

    Errors are itemised flag by flag until the report is full; the flags that fail after that are
    only counted (each has at least one error), so a file that is wrong everywhere costs a quick
    pass more than a valid one, not a full report of every error.
    """
    import fastjsonschema

    root_ok, flag_ok = _fast()
    try:
        root_ok(data)
    except fastjsonschema.JsonSchemaException:
        raise FeatureFileInvalid(list(_report("root", data, (), locator))) from None
    problems: list[Problem] = []
    unlisted = 0
    for name, flag in data.items():
        try:
            flag_ok(flag)
        except fastjsonschema.JsonSchemaException:
            if len(problems) < MAX_REPORTED:
                problems.extend(_report("flag", flag, (name,), locator))
            else:
                unlisted += 1
    if problems:
        raise FeatureFileInvalid(problems, total=len(problems) + unlisted, at_least=unlisted > 0)


@cache
def _full(which: str) -> Any:
    """jsonschema's validator, built once per process: building one costs more than using it."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_root_schema() if which == "root" else _flag_schema())


def _report(which: str, instance: Any, prefix: tuple[PathPart, ...], locator: Locator) -> Iterator[Problem]:
    for error in _full(which).iter_errors(instance):
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
