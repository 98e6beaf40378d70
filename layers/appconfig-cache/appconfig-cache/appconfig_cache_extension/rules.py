"""Powertools for AWS Lambda's feature-flag rules, evaluated in the extension for any client.

The extension cannot import Powertools' ``feature_flags`` package: its ``__init__`` imports the
AppConfig store, which imports boto3. So this module carries the rules engine of Powertools
3.37 (``feature_flags.py``, ``comparators.py`` and ``schema.py``'s validators), written with the
same Python expressions so that every comparison keeps Python's semantics (``1 == True``,
substring ``in``, exceptions counting as "no match"). ``tests/unit/extension/test_rules_differential.py``
runs it against ``FeatureFlags.evaluate`` over generated documents, contexts and clocks; the two
must agree on every value, and on which documents are refused.

The clock is injected (``now(tz)``), so schedule rules are testable without waiting for a weekend.
"""

from __future__ import annotations

import re
from datetime import datetime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import tzinfo
    from typing import Any

    Clock = Callable[[tzinfo | None], datetime]

RULES_KEY = "rules"
DEFAULT_KEY = "default"
CONDITIONS_KEY = "conditions"
WHEN_MATCH_KEY = "when_match"
CONDITION_KEY = "key"
CONDITION_VALUE = "value"
CONDITION_ACTION = "action"
BOOLEAN_TYPE_KEY = "boolean_type"
TIME_RANGE_PATTERN = re.compile(r"(?:2[0-3]|[01]\d):[0-5]\d")
DAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
TIME_ACTIONS = frozenset(
    {"SCHEDULE_BETWEEN_TIME_RANGE", "SCHEDULE_BETWEEN_DATETIME_RANGE", "SCHEDULE_BETWEEN_DAYS_OF_WEEK"}
)
ACTIONS = (
    "EQUALS",
    "NOT_EQUALS",
    "KEY_GREATER_THAN_VALUE",
    "KEY_GREATER_THAN_OR_EQUAL_VALUE",
    "KEY_LESS_THAN_VALUE",
    "KEY_LESS_THAN_OR_EQUAL_VALUE",
    "STARTSWITH",
    "ENDSWITH",
    "IN",
    "NOT_IN",
    "KEY_IN_VALUE",
    "KEY_NOT_IN_VALUE",
    "VALUE_IN_KEY",
    "VALUE_NOT_IN_KEY",
    "ALL_IN_VALUE",
    "ANY_IN_VALUE",
    "NONE_IN_VALUE",
    "SCHEDULE_BETWEEN_TIME_RANGE",
    "SCHEDULE_BETWEEN_DATETIME_RANGE",
    "SCHEDULE_BETWEEN_DAYS_OF_WEEK",
    "MODULO_RANGE",
)


class InvalidDocument(ValueError):
    """What Powertools' SchemaValidator would refuse; the message names the feature or rule."""


def system_clock(timezone: tzinfo | None) -> datetime:
    return datetime.now(timezone)


def gettz(name: Any) -> Any:
    """dateutil's zone lookup, as Powertools uses it (it accepts more than IANA names)."""
    from dateutil import tz  # type: ignore[import-untyped]  # vendored in the layer; only schedules need it

    return tz.gettz(name)


# ---------------------------------------------------------------------------------- evaluating
class Evaluation(tuple["Any", str, str]):
    """``(value, reason, variant)``: the value ``FeatureFlags.evaluate`` returns, and OpenFeature's
    reason (STATIC: no rules; TARGETING_MATCH or SPLIT: a rule matched; DEFAULT: none did) and
    variant (the matching rule's name, else ``"default"``)."""

    __slots__ = ()

    def __new__(cls, value: Any, reason: str, variant: str) -> Evaluation:
        return tuple.__new__(cls, (value, reason, variant))

    @property
    def value(self) -> Any:
        return self[0]

    @property
    def reason(self) -> str:
        return self[1]

    @property
    def variant(self) -> str:
        return self[2]


def evaluate(
    features: dict[str, Any],
    name: str,
    context: dict[str, Any],
    *,
    now: Clock = system_clock,
    split_key: str | None = None,
) -> Evaluation:
    """``FeatureFlags.evaluate(name=name, context=context, default=...)`` for a flag that exists
    in a validated document (a missing flag is the caller's default, decided by the caller).

    ``split_key``: a context key whose use in the matching rule makes the reason SPLIT.
    """
    feature = features[name]
    rules = feature.get(RULES_KEY)
    default = feature.get(DEFAULT_KEY)
    boolean_feature = feature.get(BOOLEAN_TYPE_KEY, True)
    if not rules:
        return Evaluation(bool(default) if boolean_feature else default, "STATIC", "default")
    for rule_name, rule in rules.items():
        if _conditions_match(rule, context, now):
            when_match = rule.get(WHEN_MATCH_KEY)
            split = split_key is not None and any(
                c.get(CONDITION_KEY) == split_key for c in rule.get(CONDITIONS_KEY) or ()
            )
            return Evaluation(
                bool(when_match) if boolean_feature else when_match,
                "SPLIT" if split else "TARGETING_MATCH",
                str(rule_name),
            )
    return Evaluation(default, "DEFAULT", "default")


def _conditions_match(rule: dict[str, Any], context: dict[str, Any], now: Clock) -> bool:
    conditions = rule.get(CONDITIONS_KEY)
    if not conditions:
        return False
    for condition in conditions:
        key = condition.get(CONDITION_KEY, "")
        action = condition.get(CONDITION_ACTION, "")
        value = condition.get(CONDITION_VALUE)
        present = True
        if action in TIME_ACTIONS:
            context_value = key  # schedule rules read the clock; the key names which part
        else:
            present = key in context
            context_value = context.get(key)
        if not _match(action, value, context_value, present, now):
            return False
    return True


def _match(action: str, condition_value: Any, context_value: Any, present: bool, now: Clock) -> bool:
    try:
        matched = _compare(action, context_value, condition_value, now)
    except Exception:  # an operand the action cannot take is "no match", as in Powertools
        return False
    # A key absent from the context never satisfies a condition (negative actions included),
    # but the comparison runs first, exactly as Powertools runs it.
    return matched if present else False


def _compare(action: str, a: Any, b: Any, now: Clock) -> bool:  # noqa: PLR0911, PLR0912 - one case per action
    if action == "EQUALS":
        return bool(a == b)
    if action == "NOT_EQUALS":
        return bool(a != b)
    if action == "KEY_GREATER_THAN_VALUE":
        return bool(a > b)
    if action == "KEY_GREATER_THAN_OR_EQUAL_VALUE":
        return bool(a >= b)
    if action == "KEY_LESS_THAN_VALUE":
        return bool(a < b)
    if action == "KEY_LESS_THAN_OR_EQUAL_VALUE":
        return bool(a <= b)
    if action == "STARTSWITH":
        return bool(a.startswith(b))
    if action == "ENDSWITH":
        return bool(a.endswith(b))
    if action in {"IN", "KEY_IN_VALUE"}:
        return a in b
    if action in {"NOT_IN", "KEY_NOT_IN_VALUE"}:
        return a not in b
    if action == "VALUE_IN_KEY":
        return b in a
    if action == "VALUE_NOT_IN_KEY":
        return b not in a
    if action in {"ALL_IN_VALUE", "ANY_IN_VALUE", "NONE_IN_VALUE"}:
        if not isinstance(a, list):
            raise ValueError(f"Context provided must be a list. Unable to compare {action} action.")
        if action == "ALL_IN_VALUE":
            return all(key in b for key in a)
        if action == "ANY_IN_VALUE":
            return any(key in b for key in a)
        return all(key not in b for key in a)
    if action == "SCHEDULE_BETWEEN_TIME_RANGE":
        return _time_range(b, now)
    if action == "SCHEDULE_BETWEEN_DATETIME_RANGE":
        return _datetime_range(b, now)
    if action == "SCHEDULE_BETWEEN_DAYS_OF_WEEK":
        current_day = _now(gettz(b.get("TIMEZONE", "UTC")), now).strftime("%A").upper()
        return current_day in b.get("DAYS", [])
    if action == "MODULO_RANGE":
        return bool(b.get("START", 1) <= a % b.get("BASE", 1) <= b.get("END", 1))
    return False


def _now(timezone: Any, now: Clock) -> datetime:
    return now(gettz("UTC") if timezone is None else timezone)


def _datetime_range(value: dict[str, Any], now: Clock) -> bool:
    timezone = gettz(value.get("TIMEZONE", "UTC"))
    current = _now(timezone, now)
    # The bounds carry no zone (the validator refuses one): they are read in TIMEZONE.
    start = datetime.fromisoformat(value.get("START", "")).replace(tzinfo=timezone)
    end = datetime.fromisoformat(value.get("END", "")).replace(tzinfo=timezone)
    return start <= current <= end


def _time_range(value: dict[str, Any], now: Clock) -> bool:
    current = _now(gettz(value.get("TIMEZONE", "UTC")), now)
    start_hour, start_min = value.get("START", "").split(":")
    end_hour, end_min = value.get("END", "").split(":")
    start = current.replace(hour=int(start_hour), minute=int(start_min))
    end = current.replace(hour=int(end_hour), minute=int(end_min))
    if int(end_hour) * 60 + int(end_min) < int(start_hour) * 60 + int(start_min):
        return (start <= current) or (current <= end)  # the range crosses midnight
    return start <= current <= end


# ---------------------------------------------------------------------------------- validating
def validate(document: Any) -> None:
    """Raise :class:`InvalidDocument` where Powertools' ``SchemaValidator.validate`` raises.

    (Where Powertools itself fails with another error, e.g. an unhashable action, so does this.)
    """
    if not isinstance(document, dict):
        raise InvalidDocument("Features must be a dictionary")
    for name, feature in document.items():
        boolean_feature = _validate_feature(name, feature)
        _validate_rules(name, feature, boolean_feature)


def _validate_feature(name: Any, feature: Any) -> Any:
    if not feature or not isinstance(feature, dict):
        raise InvalidDocument(f"Feature must be a non-empty dictionary, feature={name}")
    default = feature.get(DEFAULT_KEY)
    boolean_feature = feature.get(BOOLEAN_TYPE_KEY, True)
    if default is None or (not isinstance(default, bool) and boolean_feature):
        raise InvalidDocument(f"feature 'default' boolean key must be present, feature={name}")
    return boolean_feature


def _validate_rules(name: Any, feature: dict[str, Any], boolean_feature: Any) -> None:
    rules = feature.get(RULES_KEY)
    if not rules:
        return
    if not isinstance(rules, dict):
        raise InvalidDocument(f"Feature rules must be a dictionary, feature={name}")
    for rule_name, rule in rules.items():
        if not rule or not isinstance(rule, dict):
            raise InvalidDocument(f"Feature rule must be a dictionary, feature={name}")
        if not rule_name or not isinstance(rule_name, str):
            raise InvalidDocument(f"Rule name key must have a non-empty string, feature={name}")
        if boolean_feature and not isinstance(rule.get(WHEN_MATCH_KEY), bool):
            raise InvalidDocument(f"'when_match' must be a boolean, rule={rule_name}")
        conditions = rule.get(CONDITIONS_KEY, {})
        if not conditions or not isinstance(conditions, list):
            raise InvalidDocument(f"Invalid condition, rule={rule_name}")
        for condition in conditions:
            _validate_condition(rule_name, condition)


def _validate_condition(rule_name: str, condition: Any) -> None:
    if not condition or not isinstance(condition, dict):
        raise InvalidDocument(f"Feature rule condition must be a dictionary, rule={rule_name}")
    action = condition.get(CONDITION_ACTION, "")
    if action not in ACTIONS:
        raise InvalidDocument(f"'action' value must be one of {list(ACTIONS)}, rule={rule_name}")
    key = condition.get(CONDITION_KEY, "")
    if not key or not isinstance(key, str):
        raise InvalidDocument(f"'key' value must be a non empty string, rule={rule_name}")
    for time_action, time_key in (
        ("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK"),
        ("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME"),
        ("SCHEDULE_BETWEEN_DATETIME_RANGE", "CURRENT_DATETIME"),
    ):
        if action == time_action and key != time_key:
            raise InvalidDocument(f"a {action} condition must have the key {time_key}, rule={rule_name}")
    value = condition.get(CONDITION_VALUE)
    if value is None:
        raise InvalidDocument(f"'value' key must not be null, rule={rule_name}")
    _validate_value(action, value, rule_name)


def _validate_value(action: str, value: Any, rule_name: str) -> None:  # noqa: PLR0912 - one case per action
    if action == "SCHEDULE_BETWEEN_DAYS_OF_WEEK":
        problem = f"{action} needs a dictionary with DAYS and an optional TIMEZONE, rule={rule_name}"
        if not isinstance(value, dict):
            raise InvalidDocument(problem)
        days = value.get("DAYS")
        if not isinstance(days, list) or not value:
            raise InvalidDocument(problem)
        for day in days:
            if not isinstance(day, str) or day not in DAYS:
                raise InvalidDocument(f"DAYS must be days of the week ({', '.join(DAYS)}), rule={rule_name}")
        _validate_timezone(value.get("TIMEZONE"), rule_name)
    elif action in {"SCHEDULE_BETWEEN_TIME_RANGE", "SCHEDULE_BETWEEN_DATETIME_RANGE"}:
        if not isinstance(value, dict):
            raise InvalidDocument(f"{action} needs a dictionary with START and END, rule={rule_name}")
        start, end = value.get("START", ""), value.get("END", "")
        if not isinstance(start, str) or not isinstance(end, str):
            raise InvalidDocument(f"'START' and 'END' must be a non empty string, rule={rule_name}")
        if action == "SCHEDULE_BETWEEN_TIME_RANGE":
            if not TIME_RANGE_PATTERN.fullmatch(start) or not TIME_RANGE_PATTERN.fullmatch(end):
                raise InvalidDocument(f"'START' and 'END' must be HH:MM (24-hour clock), rule={rule_name}")
        else:
            _validate_datetime(start, rule_name)
            _validate_datetime(end, rule_name)
        _validate_timezone(value.get("TIMEZONE"), rule_name)
    elif action == "MODULO_RANGE":
        problem = f"MODULO_RANGE needs a dictionary with BASE, START and END, rule={rule_name}"
        if not isinstance(value, dict):
            raise InvalidDocument(problem)
        base, start, end = value.get("BASE"), value.get("START"), value.get("END")
        if base is None or start is None or end is None:
            raise InvalidDocument(problem)
        if not isinstance(base, int) or not isinstance(start, int) or not isinstance(end, int):
            raise InvalidDocument(f"'BASE', 'START' and 'END' must be integers, rule={rule_name}")
        if not 0 <= start <= end <= base - 1:
            raise InvalidDocument(f"MODULO_RANGE must satisfy 0 <= START <= END <= BASE-1, rule={rule_name}")
    elif action in {"ALL_IN_VALUE", "ANY_IN_VALUE", "NONE_IN_VALUE"} and not isinstance(value, list):
        raise InvalidDocument(f"{action} action must have a list value, rule={rule_name}")


def _validate_datetime(text: str, rule_name: str) -> None:
    try:
        date = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except Exception:
        raise InvalidDocument(f"'START' and 'END' must be ISO 8601 date-times, rule={rule_name}") from None
    if date.tzinfo is not None:
        raise InvalidDocument(f"'START' and 'END' take no zone: set TIMEZONE instead, rule={rule_name}")


def _validate_timezone(timezone: Any, rule_name: str) -> None:
    timezone = timezone or "UTC"
    if not isinstance(timezone, str):
        raise InvalidDocument(f"'TIMEZONE' must be a string, rule={rule_name}")
    if not gettz(timezone):
        raise InvalidDocument(f"'TIMEZONE' must be a valid IANA time zone, rule={rule_name}")
