"""The feature file's JSON Schema: generated code for the fast valid path, a capped report otherwise.

The schema file is ``schemas/feature-file.schema.json`` (linked into this package, copied into the
build): one source of truth. fastjsonschema's code for it (``compiled``) stops at the first error,
so a valid file costs one quick pass. Each flag is checked on its own, so when a file is invalid
only the flags that failed go through jsonschema, which collects the errors with their paths (the
slow part, kept off the valid path, limited to what is wrong and stopped once the report is full).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import TYPE_CHECKING, Any

from feature_validator import compiled
from feature_validator.errors import MAX_REPORTED, PathPart, Problem

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from feature_validator.locate import Locator

SCHEMA_FILE = compiled.SCHEMA_FILE
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


@dataclass(frozen=True, slots=True)
class Report:
    """At most ``MAX_REPORTED`` problems of ``total``; ``at_least`` when some were only counted."""

    problems: list[Problem]
    total: int
    at_least: bool


@cache
def schema() -> dict[str, Any]:
    return compiled.schema()


@cache
def _fast() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    return compiled.validators(schema())


def check(data: Any, locator: Locator) -> Report:
    """The schema errors of ``data``, located; an empty report when it is valid.

    Errors are itemised flag by flag until the report is full; the flags that fail after that are
    only counted (each has at least one error), so a file that is wrong everywhere costs a quick
    pass more than a valid one, not a full report of every error.
    """
    import fastjsonschema

    root_ok, flag_ok = _fast()
    try:
        root_ok(data)
    except fastjsonschema.JsonSchemaException:
        found, more = _take(_report("root", data, (), locator), MAX_REPORTED)
        return Report(found, len(found) + more, at_least=more > 0)
    problems: list[Problem] = []
    unlisted = 0
    for name, flag in data.items():
        try:
            flag_ok(flag)
        except fastjsonschema.JsonSchemaException:
            room = MAX_REPORTED - len(problems)
            if room <= 0:
                unlisted += 1
                continue
            found, more = _take(_report("flag", flag, (name,), locator), room)
            # fastjsonschema and jsonschema agree on every verdict (a test holds them to it); if
            # they ever did not, the flag is still refused, at its name.
            problems.extend(found or [locator.problem([], "breaks the schema", "schema", at_key=name)])
            unlisted += more
    return Report(problems, len(problems) + unlisted, at_least=unlisted > 0)


def _take(problems: Iterator[Problem], room: int) -> tuple[list[Problem], int]:
    """Up to ``room`` problems, and 1 if there are more (counted, not itemised: bounded cost)."""
    taken = list(islice(problems, room + 1))
    return taken[:room], len(taken) - min(len(taken), room)


@cache
def _full(which: str) -> Any:
    """jsonschema's validator, built once per process: building one costs more than using it."""
    from jsonschema import Draft202012Validator

    whole = schema()
    root = {k: v for k, v in whole.items() if k not in ("additionalProperties", "$defs")}
    flag = {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": "#/$defs/feature"}
    return Draft202012Validator(root if which == "root" else flag)


def _report(which: str, instance: Any, prefix: tuple[PathPart, ...], locator: Locator) -> Iterator[Problem]:
    for error in _full(which).iter_errors(instance):
        yield from _problems(error, prefix, locator)


def _problems(error: Any, prefix: tuple[PathPart, ...], locator: Locator) -> Iterator[Problem]:
    path = [*prefix, *error.absolute_path]
    keyword: str = error.validator
    expected = error.validator_value
    instance = error.instance
    code = f"schema-{keyword}"
    if "propertyNames" in error.absolute_schema_path:
        # The error is about a key, not a value: jsonschema reports the key as the instance.
        what = "flag" if len(path) == len(prefix) == 0 else "rule"
        yield locator.problem(path, f"a {what} name must be a non-empty string", code, at_key=str(instance))
        return
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
    message = _message(keyword, expected, instance, error.schema)
    if keyword == "enum" and isinstance(instance, str):
        message += _did_you_mean(instance, [str(v) for v in expected])
    if _expects_string(keyword, expected) and not isinstance(instance, str):
        reading = locator.reads_as(path)
        if reading:
            message = f"{message}: {reading}; quote it"
    yield locator.problem(path, message, code)


def _message(keyword: str, expected: Any, instance: Any, schema_node: Mapping[str, Any]) -> str:  # noqa: PLR0911 - one message per keyword
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
        examples = schema_node.get("examples") or []
        return "does not have the expected format" + (f" (for example {examples[0]})" if examples else "")
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
