"""What the schema cannot say: checks across fields and conditions of a schema-valid document.

- Schedules: a window whose START equals its END, or whose END comes before its START (date-time
  ranges), dates that do not exist, time zones that dateutil (which Powertools uses) does not know.
- MODULO_RANGE: 0 <= START <= END <= BASE - 1.
- Rules whose conditions can never all match: conditions on one context key that need values of
  different types (STARTSWITH needs text, ANY_IN_VALUE a list, ...), an EQUALS value that another
  condition on the same key rejects (decided by Powertools' own comparison functions), and number
  bounds that leave nothing between them.

Findings are paths and messages, located by the caller: only the reported ones are worth the cost.
(Unquoted YAML 1.1 words such as NO are the reading's business: refused wherever they are.)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from feature_validator.errors import PathPart

# Where (the document path), what, and its code.
Finding = tuple[list["PathPart"], str, str]

_SCHEDULES = frozenset(
    {"SCHEDULE_BETWEEN_TIME_RANGE", "SCHEDULE_BETWEEN_DATETIME_RANGE", "SCHEDULE_BETWEEN_DAYS_OF_WEEK"}
)
_ORDERING = {
    "KEY_GREATER_THAN_VALUE": ("lower", True),
    "KEY_GREATER_THAN_OR_EQUAL_VALUE": ("lower", False),
    "KEY_LESS_THAN_VALUE": ("upper", True),
    "KEY_LESS_THAN_OR_EQUAL_VALUE": ("upper", False),
}
_LIST_ACTIONS = frozenset({"ALL_IN_VALUE", "ANY_IN_VALUE", "NONE_IN_VALUE"})


def check(data: dict[str, Any]) -> Iterator[Finding]:
    """Every finding in a schema-valid document, in document order."""
    for flag_name, flag in data.items():
        for rule_name, rule in (flag.get("rules") or {}).items():
            path: list[PathPart] = [flag_name, "rules", rule_name]
            conditions = rule["conditions"]
            for index, condition in enumerate(conditions):
                yield from _condition(condition, [*path, "conditions", index])
            yield from _never_matches(conditions, [*path, "conditions"])


def _condition(condition: dict[str, Any], path: list[PathPart]) -> Iterator[Finding]:
    action = condition["action"]
    value = condition["value"]
    value_path = [*path, "value"]
    if action == "SCHEDULE_BETWEEN_TIME_RANGE":
        if value["START"] == value["END"]:
            yield value_path, "START equals END: the window is empty or a single minute", "schedule"
    elif action == "SCHEDULE_BETWEEN_DATETIME_RANGE":
        yield from _datetime_range(value, value_path)
    elif action == "MODULO_RANGE":
        yield from _modulo_range(value, value_path)
    if action in _SCHEDULES and "TIMEZONE" in value and not _known_zone(value["TIMEZONE"]):
        yield [*value_path, "TIMEZONE"], "not an IANA time zone name", "timezone"


def _known_zone(name: str) -> bool:
    """Whether dateutil (what Powertools evaluates schedules with) knows the zone. The schema has
    refused names that are paths; anything dateutil still raises on is a zone it does not know."""
    from dateutil import tz  # type: ignore[import-untyped]

    try:
        return bool(tz.gettz(name))
    except Exception:
        return False


def _modulo_range(value: dict[str, Any], path: list[PathPart]) -> Iterator[Finding]:
    # JSON Schema counts 100.0 as an integer; Powertools (isinstance int) does not.
    floats = [name for name in ("BASE", "START", "END") if isinstance(value[name], float)]
    for name in floats:
        yield [*path, name], "write a whole number without a decimal point", "modulo-range"
    if not floats and not 0 <= value["START"] <= value["END"] <= value["BASE"] - 1:
        yield path, "needs 0 <= START <= END <= BASE - 1", "modulo-range"


def _datetime_range(value: dict[str, Any], path: list[PathPart]) -> Iterator[Finding]:
    moments: dict[str, datetime] = {}
    for bound in ("START", "END"):
        try:
            moments[bound] = datetime.fromisoformat(value[bound])
        except ValueError:
            yield [*path, bound], "not a valid date and time", "schedule"
    if len(moments) == 2:
        if moments["START"] == moments["END"]:
            yield path, "START equals END: the window is a single instant", "schedule"
        elif moments["END"] < moments["START"]:
            yield path, "END is before START: the rule can never match", "schedule"


def _kind(value: Any) -> str:
    if isinstance(value, bool | int | float):
        return "a number or boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _needs(action: str, value: Any) -> str | None:
    """The type of context value a condition can match, when the action decides it."""
    if action in ("STARTSWITH", "ENDSWITH"):
        return "text"
    if action in _LIST_ACTIONS:
        return "a list"
    if action == "MODULO_RANGE":
        return "a number or boolean"
    if action in _ORDERING or action == "EQUALS":
        return _kind(value)
    return None


def _never_matches(conditions: list[dict[str, Any]], path: list[PathPart]) -> Iterator[Finding]:
    by_key: dict[str, list[int]] = {}
    for index, condition in enumerate(conditions):
        if condition["action"] not in _SCHEDULES:
            by_key.setdefault(condition["key"], []).append(index)
    for key, indexes in by_key.items():
        if len(indexes) < 2:
            continue
        reason = _contradiction([conditions[i] for i in indexes])
        if reason:
            where = ", ".join(f"[{i}]" for i in indexes)
            yield (
                [*path, indexes[-1]],
                f"the rule can never match: conditions {where} on key '{key}' {reason}",
                "never-matches",
            )


def _contradiction(conditions: list[dict[str, Any]]) -> str | None:
    needs = {need for c in conditions if (need := _needs(c["action"], c["value"])) is not None}
    if len(needs) > 1:
        return f"need the context value to be {' and '.join(sorted(needs))} at once"
    equals = [c["value"] for c in conditions if c["action"] == "EQUALS"]
    if equals:
        from feature_validator.powertools import rule_action_mapping

        candidate = equals[0]
        for condition in conditions:
            compare = rule_action_mapping()[condition["action"]]
            try:
                matched = compare(candidate, condition["value"])
            except Exception:  # Powertools treats a failing comparison as no match
                matched = False
            if not matched:
                return "cannot all hold for the one value EQUALS allows"
        return None
    return _empty_interval(conditions)


def _empty_interval(conditions: list[dict[str, Any]]) -> str | None:
    lower: tuple[Any, bool] | None = None
    upper: tuple[Any, bool] | None = None
    for condition in conditions:
        side = _ORDERING.get(condition["action"])
        if side is None:
            continue
        bound = (condition["value"], side[1])
        if side[0] == "lower":
            if lower is None or bound[0] > lower[0] or (bound[0] == lower[0] and bound[1]):
                lower = bound
        elif upper is None or bound[0] < upper[0] or (bound[0] == upper[0] and bound[1]):
            upper = bound
    if lower is None or upper is None:
        return None
    if lower[0] > upper[0] or (lower[0] == upper[0] and (lower[1] or upper[1])):
        return "leave no value between their lower and upper bounds"
    return None
