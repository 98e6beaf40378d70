"""Scalars as YAML 1.1 (PyYAML, every consumer's loader) and YAML 1.2 (editors, JSON) read them.

PyYAML resolves unquoted scalars by YAML 1.1's rules; the YAML language server, most other
libraries and JSON follow YAML 1.2's core schema. Where the two disagree (``NO`` is false or
text, ``12:30`` is 750 or text, ``012`` is 10 or 12, ``1e5`` is text or 100000.0) the scalar has
no single reading, so it is refused with the form to write instead. Where they agree, the value is
the one PyYAML's ``SafeConstructor`` gives, so a document read here equals ``yaml.safe_load``'s.
"""

from __future__ import annotations

import math
import re
import sys

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (TAG + t for t in ("str", "int", "float", "bool", "null"))
SEQ, MAP, MERGE, TIMESTAMP, VALUE = (TAG + t for t in ("seq", "map", "merge", "timestamp", "value"))
JSON_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL})

# First characters for which YAML 1.1 may read a plain scalar as something other than text; every
# first character YAML 1.2 gives a meaning to is among them.
MAYBE_TYPED = frozenset(k for k in Resolver.yaml_implicit_resolvers if k)

_SAFE = SafeConstructor()
_RESOLVER = Resolver()

# YAML 1.2.2, 10.3.2 (core schema).
_CORE_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_CORE_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_CORE_INT10 = re.compile(r"[-+]?[0-9]+")
_CORE_INT8 = re.compile(r"0o[0-7]+")
_CORE_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_CORE_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_CORE_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_NUMERIC_FIRST = frozenset("0123456789+-.")
_SIGNED_RADIX = re.compile(r"[-+]0(?:o[0-7]+|x[0-9a-fA-F]+)")

_MAX_DIGITS = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
_YAML11 = "YAML 1.1 (PyYAML)"
_KIND = {INT: "a number", FLOAT: "a number", BOOL: "a boolean", NULL: "null", STR: "text"}


class Refusal(Exception):
    """A scalar with no single reading: ``code`` and a message that never repeats the value."""

    def __init__(self, code: str, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.value = value  # what PyYAML would read (or the text), so later checks can go on


def resolve_plain(value: str) -> str:
    """The tag YAML 1.1 (PyYAML) gives an unquoted scalar."""
    if value and value[0] not in MAYBE_TYPED:
        return STR
    return str(_RESOLVER.resolve(ScalarNode, value, (True, False)))  # type: ignore[no-untyped-call]


def read_plain(value: str) -> Any:
    """An unquoted scalar's value, or ``Refusal`` when YAML 1.1 and 1.2 read it differently."""
    tag = resolve_plain(value)
    if tag == STR:
        # YAML 1.2's words (true, null, ...) are YAML 1.1's too: only a number can part them here.
        if value[0] not in _NUMERIC_FIRST:
            return value
        if _SIGNED_RADIX.fullmatch(value):
            raise Refusal(
                "yaml12-number",
                "the unquoted value is text to YAML 1.1 (PyYAML) and to YAML 1.2's core schema, but "
                "some YAML 1.2 readers take a signed 0o or 0x form for a number: quote it",
                value,
            )
        old: tuple[str, Any] = (STR, value)
    elif tag == TIMESTAMP:
        raise Refusal(
            "timestamp", "an unquoted date or time is read as a YAML timestamp, not text: quote it", value
        )
    elif tag in (MERGE, VALUE):
        raise Refusal(
            "yaml11-special", f"the unquoted sign has a meaning of its own in {_YAML11}: quote it", value
        )
    else:
        old = (tag, _construct(tag, value))
    new = _core_plain(value)
    if not _same(old, new):
        raise Refusal(*_disagreement(value, old, new), old[1])
    return _finite(old[1])


def read_tagged(tag: str, value: str) -> Any:
    """A scalar with an explicit JSON tag (``!!int "12"``): its value, or ``Refusal`` when the text
    does not fit the tag for both YAML versions alike."""
    if tag == STR:
        return value
    try:
        old = (tag, _construct(tag, value))
    except Refusal as refused:
        if refused.code != "not-a-number":
            raise
        old = None
    new = _core_tagged(tag, value)
    name = tag.removeprefix(TAG)
    if old is None or new is None:
        raise Refusal("tag-mismatch", f"the value does not fit its tag !!{name}", value)
    if not _same(old, new):
        raise Refusal(
            "tag-mismatch",
            f"{_YAML11} and YAML 1.2 read this !!{name} value differently: write it in plain decimal form",
            value,
        )
    return _finite(old[1])


def read_plain_key(value: str) -> str:
    """An unquoted mapping key: text for both YAML versions, or ``Refusal``."""
    tag = resolve_plain(value)
    if tag == STR:
        new = _core_plain(value)
        if new[0] == STR:
            return value
        reading = f"the unquoted key is read as {_KIND[new[0]]} by YAML 1.2"
    elif tag == MERGE:
        raise Refusal(
            "merge-key",
            "merge keys (<<) are not allowed: YAML 1.2 and JSON tools read them as a plain key; "
            "write the keys out",
        )
    else:
        reading = reads_as(tag, value)
    raise Refusal("key-type", f"{reading}, but keys must be strings: quote it", value)


def reads_as(tag: str, value: str) -> str:
    """How YAML 1.1 reads an unquoted scalar, without repeating the value (for "quote it" hints)."""
    if tag == BOOL:
        return f"the unquoted word is read as the boolean {str(_SAFE.bool_values[value.lower()]).lower()}"
    names = {INT: "an integer", FLOAT: "a number", NULL: "null", TIMESTAMP: "a timestamp"}
    return f"the unquoted value is read as {names.get(tag, 'a non-string')}"


def _construct(tag: str, value: str) -> Any:
    """What PyYAML's SafeConstructor makes of ``value`` under ``tag`` (one of the JSON tags)."""
    try:
        if tag == INT:
            return _SAFE.construct_yaml_int(ScalarNode(tag, value))
        if tag == FLOAT:
            return _SAFE.construct_yaml_float(ScalarNode(tag, value))
        if tag == BOOL:
            return _SAFE.bool_values[value.lower()]
    except KeyError:
        raise Refusal("not-a-number", "not a boolean", value) from None
    except (ValueError, IndexError):  # IndexError: PyYAML's int and float constructors on ""
        if tag == INT and sum(c.isdigit() for c in value) > _MAX_DIGITS:
            raise Refusal(
                "too-many-digits",
                f"an integer with more than {_MAX_DIGITS:,} digits: Python's readers refuse it",
                value,
            ) from None
        raise Refusal(
            "not-a-number",
            f"{_YAML11} takes the unquoted value for a number and cannot read it: quote it",
            value,
        ) from None
    return None  # NULL


def _core_plain(value: str) -> tuple[str, Any]:
    """YAML 1.2's core schema reading of an unquoted scalar."""
    if value in _CORE_NULL:
        return NULL, None
    if value in _CORE_BOOL:
        return BOOL, _CORE_BOOL[value]
    number = _core_number(value, floats=True)
    return number if number is not None else (STR, value)


def _core_tagged(tag: str, value: str) -> tuple[str, Any] | None:
    if tag == NULL:
        return (NULL, None) if value in _CORE_NULL else None
    if tag == BOOL:
        return (BOOL, _CORE_BOOL[value]) if value in _CORE_BOOL else None
    number = _core_number(value, floats=tag == FLOAT)
    if number is not None and tag == FLOAT:
        return FLOAT, float(number[1])
    return number


def _core_number(value: str, *, floats: bool) -> tuple[str, Any] | None:  # noqa: PLR0911 - one per form
    try:
        if _CORE_INT10.fullmatch(value):
            return INT, int(value)
        if _CORE_INT8.fullmatch(value):
            return INT, int(value[2:], 8)
        if _CORE_INT16.fullmatch(value):
            return INT, int(value[2:], 16)
    except ValueError:  # over Python's digit limit: _construct has refused it already
        return INT, None
    if floats:
        if _CORE_FLOAT.fullmatch(value):
            return FLOAT, float(value)
        if _CORE_INF.fullmatch(value):
            return FLOAT, -math.inf if value.startswith("-") else math.inf
        if _CORE_NAN.fullmatch(value):
            return FLOAT, math.nan
    return None


def _same(old: tuple[str, Any], new: tuple[str, Any]) -> bool:
    if old[0] != new[0] or type(old[1]) is not type(new[1]):
        return False
    if old[0] == FLOAT and math.isnan(old[1]):
        return math.isnan(new[1])
    return bool(old[1] == new[1])


def _finite(value: Any) -> Any:
    if type(value) is float and not math.isfinite(value):
        raise Refusal("not-finite", "infinity and NaN cannot be represented in JSON", value)
    return value


def _disagreement(value: str, old: tuple[str, Any], new: tuple[str, Any]) -> tuple[str, str]:
    """The code and message for a scalar YAML 1.1 and 1.2 read differently."""
    if old[0] == BOOL and new[0] == STR:
        word = str(old[1]).lower()
        return (
            "yaml11-boolean",
            f"the unquoted word is read as the boolean {word} by {_YAML11} but as text by YAML 1.2: "
            f"quote it for text, or write {word}",
        )
    if new[0] == STR:
        if ":" in value:
            form, fix = "a base-60 number (12:30 is 750)", ""
        elif "_" in value:
            form, fix = "a number (it skips the _)", ", or write the digits without _"
        elif "b" in value:
            form, fix = "a binary number", ", or write the number in decimal"
        else:
            form, fix = "a number", ", or write the number in decimal"
        return (
            "yaml11-number",
            f"the unquoted value is read as {form} by {_YAML11} but as text by YAML 1.2: "
            f"quote it for text{fix}",
        )
    if old[0] == STR:
        if value.startswith("0o"):
            fix = "write the number in decimal"
        elif "e" in value or "E" in value:
            fix = "write it with a decimal point and a signed exponent, as in 1.0e+5"
        elif value.lstrip("+-").startswith("."):
            fix = "write a digit before the point, as in 0.5"
        else:
            fix = "drop the leading zero"
        return (
            "yaml12-number",
            f"the unquoted value is read as a number by YAML 1.2 and JSON but as text by {_YAML11}: "
            f"quote it for text, or {fix}",
        )
    if old[0] == INT and new[0] == INT:
        return (
            "yaml11-number",
            f"the leading zero makes {_YAML11} read an octal number and YAML 1.2 a decimal one: "
            "quote it for text, or drop the leading zero",
        )
    return (
        "yaml-versions",
        f"{_YAML11} reads the unquoted value as {_KIND.get(old[0], 'text')} and YAML 1.2 as "
        f"{_KIND.get(new[0], 'text')}: quote it",
    )
