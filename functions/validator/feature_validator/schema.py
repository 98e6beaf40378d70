"""The feature file's JSON Schema: generated code for the fast valid path, a capped report otherwise.

The schema file is ``schemas/feature-file.schema.json`` (linked into this package, copied into the
build): one source of truth. fastjsonschema's code for it (``compiled``) stops at the first error,
so a valid file costs one quick pass. Each flag is checked on its own, so when a file is invalid
only the flags that failed go through jsonschema, which collects the errors with their paths (the
slow part, kept off the valid path, limited to what is wrong and stopped once the report is full).
"""

from __future__ import annotations

from functools import cache
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from feature_validator import compiled
from feature_validator.errors import MAX_REPORTED, PathPart, Problem
from feature_validator.locate import Finding

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from feature_validator.locate import Locator

SCHEMA_FILE = compiled.SCHEMA_FILE
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


class Report(NamedTuple):
    """At most ``MAX_REPORTED`` problems of ``total``; ``at_least`` when some were only counted."""

    problems: list[Problem]
    total: int
    at_least: bool


@cache
def schema() -> dict[str, Any]:
    return compiled.schema()


@cache
def _fast() -> compiled.Validators:
    return compiled.Validators(schema())


def _flag_ok(flag: Any, fast: compiled.Validators) -> bool:
    """The schema's verdict on one flag: its shape, then each condition by its action's validator."""
    import fastjsonschema

    by_action = fast.by_action
    try:
        fast.check("flag")(flag)
        rules = flag.get("rules")
        if rules:
            for rule in rules.values():
                for condition in rule["conditions"]:
                    action = condition.get("action") if type(condition) is dict else None
                    check = by_action.get(action) if type(action) is str else None
                    (check or fast.condition(action))(condition)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def check(data: Any, locator: Locator) -> Report:
    """The schema errors of ``data``, located; an empty report when it is valid.

    Errors are itemised flag by flag until the report is full; the first flag that fails after
    that ends the check (the report says "at least"), so a file that is wrong everywhere costs no
    more than a valid one, not a full report of every error.
    """
    import fastjsonschema

    fast = _fast()
    try:
        fast.check("root")(data)
    except fastjsonschema.JsonSchemaException:
        found, more = _take(_report("root", data, ()), MAX_REPORTED)
        return Report(locator.locate(found), len(found) + more, at_least=more > 0)
    findings: list[Finding] = []
    unlisted = 0
    for name, flag in data.items():
        if not _flag_ok(flag, fast):
            room = MAX_REPORTED - len(findings)
            if room <= 0:  # the report is full: the rest is not checked (bounded cost), only hinted at
                unlisted += 1
                break
            found, more = _take(_report("flag", flag, (name,)), room)
            # fastjsonschema and jsonschema agree on every verdict (a test holds them to it); if
            # they ever did not, the flag is still refused, at its name.
            findings.extend(found or [Finding([], "breaks the schema", "schema", at_key=name)])
            unlisted += more
    return Report(locator.locate(findings), len(findings) + unlisted, at_least=unlisted > 0)


def _take(findings: Iterator[Finding], room: int) -> tuple[list[Finding], int]:
    """Up to ``room`` findings, and 1 if there are more (counted, not itemised: bounded cost)."""
    taken = list(islice(findings, room + 1))
    return taken[:room], len(taken) - min(len(taken), room)


@cache
def _full(which: str) -> Any:
    """jsonschema's validator, built once per process: building one costs more than using it."""
    from jsonschema import Draft202012Validator

    root, flag = compiled.split(schema())
    return Draft202012Validator(root if which == "root" else flag)


def _report(which: str, instance: Any, prefix: tuple[PathPart, ...]) -> Iterator[Finding]:
    for error in _full(which).iter_errors(instance):
        yield from _findings(error, prefix)


def _findings(error: Any, prefix: tuple[PathPart, ...]) -> Iterator[Finding]:
    path = [*prefix, *error.absolute_path]
    keyword: str = error.validator
    expected = error.validator_value
    instance = error.instance
    code = f"schema-{keyword}"
    if "propertyNames" in error.absolute_schema_path:
        # The error is about a key, not a value: jsonschema reports the key as the instance.
        what = "flag" if len(path) == len(prefix) == 0 else "rule"
        yield Finding(path, f"a {what} name must be a non-empty string", code, at_key=str(instance))
        return
    if keyword == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        for key in instance:
            if key not in allowed:
                message = (
                    f"unexpected key (allowed here: {', '.join(allowed)})" if allowed else "unexpected key"
                )
                yield Finding(path, message + _did_you_mean(key, allowed), code, at_key=key)
        return
    if keyword == "required":
        for key in expected:
            if key not in instance:
                yield Finding(path, f"missing required key '{key}'", code)
        return
    message = _message(keyword, expected, instance, error.schema)
    if keyword == "enum" and isinstance(instance, str):
        message += _did_you_mean(instance, [str(v) for v in expected])
    hint = _expects_string(keyword, expected) and not isinstance(instance, str)
    yield Finding(path, message, code, hint=hint)


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
    import difflib

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
