"""The extension's rules engine against Powertools' ``FeatureFlags``, over generated documents,
contexts and clocks: the same documents refused, the same value for every flag.

Powertools reads the time with ``datetime.now(tz)`` in its comparators module; the test freezes
that clock and hands the extension the same instant through its injected clock.
"""

from __future__ import annotations

import datetime
import warnings
from typing import Any
from unittest import mock

import pytest
from appconfig_cache_extension import rules
from appconfig_cache_extension.flags import BUCKET_KEY, Flags, bucket
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags, SchemaValidator, StoreProvider
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

KEYS = ["tier", "region", "n", "groups", "email", "absent"]
WORDS = ["premium", "SE", "", "a", "ab", "x@example.com", "@example.com", "staff"]
ZONES = [
    "UTC",
    "Europe/Copenhagen",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "EST5EDT",
    "Mars/Olympus",
    "",
    None,
    3,
]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1, 6),
    st.sampled_from([0.5, 2.0, 1e3]),
    st.sampled_from(WORDS),
)
VALUES = st.one_of(
    SCALARS, st.lists(SCALARS, max_size=4), st.dictionaries(st.sampled_from(WORDS), SCALARS, max_size=2)
)
PRESENT = VALUES.filter(lambda v: v is not None)  # what a document gives (null is refused: see rare())


def rare(draw: st.DrawFn, usual: Any, unusual: Any, one_in: int = 40) -> Any:
    """``usual``, or now and then ``unusual``: documents Powertools refuses stay a minority."""
    return draw(unusual) if draw(st.integers(0, one_in - 1)) == 0 else draw(usual)


JUNK: st.SearchStrategy[Any] = st.one_of(VALUES, st.just({}), st.just([]))


def _hhmm(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 20)) == 0:
        return draw(st.sampled_from(["24:00", "7:30", "12:60", "noon", ""]))
    return f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"


def _iso(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 20)) == 0:
        return draw(
            st.sampled_from(
                ["2026-13-01T00:00:00", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00+02:00", "yesterday"]
            )
        )
    moment = datetime.datetime(2024, 1, 1) + datetime.timedelta(
        minutes=draw(st.integers(0, 3 * 365 * 24 * 60))
    )
    return moment.isoformat()


def _zoned(draw: st.DrawFn, value: dict[str, Any]) -> dict[str, Any]:
    if draw(st.booleans()):
        value["TIMEZONE"] = draw(st.sampled_from(ZONES))
    return value


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    action = draw(st.sampled_from(rules.ACTIONS)) if draw(st.integers(0, 60)) else "NOT_AN_ACTION"
    key = draw(st.sampled_from(KEYS))
    if action == "SCHEDULE_BETWEEN_TIME_RANGE":
        key = draw(st.sampled_from(["CURRENT_TIME"] * 9 + ["CURRENT_DATETIME"]))
        value: Any = _zoned(draw, {"START": _hhmm(draw), "END": _hhmm(draw)})
    elif action == "SCHEDULE_BETWEEN_DATETIME_RANGE":
        key = draw(st.sampled_from(["CURRENT_DATETIME"] * 9 + ["CURRENT_TIME"]))
        start, end = sorted([_iso(draw), _iso(draw)])
        value = _zoned(draw, {"START": start, "END": end})
    elif action == "SCHEDULE_BETWEEN_DAYS_OF_WEEK":
        key = draw(st.sampled_from(["CURRENT_DAY_OF_WEEK"] * 9 + ["tier"]))
        days = st.sampled_from(DAYS)
        value = _zoned(
            draw,
            {
                "DAYS": draw(
                    st.lists(
                        rare(draw, st.just(days), st.just(st.sampled_from(["FUNDAY", "monday", 1]))),
                        max_size=4,
                    )
                )
            },
        )
    elif action == "MODULO_RANGE":
        base = draw(st.integers(0, 100))
        low = draw(st.integers(0, max(base, 0))) if draw(st.integers(0, 30)) else -1
        high = draw(st.integers(low, max(base - 1, low))) if draw(st.integers(0, 30)) else base
        value = {"BASE": base, "START": low, "END": high}
    elif action in {"ALL_IN_VALUE", "ANY_IN_VALUE", "NONE_IN_VALUE"}:
        value = rare(draw, st.lists(SCALARS, max_size=4), st.sampled_from(WORDS))
    elif action in {"IN", "NOT_IN", "KEY_IN_VALUE", "KEY_NOT_IN_VALUE"}:
        value = draw(st.one_of(st.lists(SCALARS, max_size=4), st.sampled_from(WORDS)))
    else:
        value = rare(draw, PRESENT, st.none())
    condition = {"action": action, "key": key, "value": value}
    if draw(st.integers(0, 60)) == 0:  # a part missing or of the wrong kind
        part = draw(st.sampled_from(["action", "key", "value"]))
        if draw(st.booleans()):
            del condition[part]
        else:
            condition[part] = draw(JUNK)
    return condition


@st.composite
def features(draw: st.DrawFn) -> dict[str, Any]:
    boolean = draw(st.sampled_from([True, None, None, False, False, 0, "yes"]))
    feature: dict[str, Any] = {}
    if boolean is not None:
        feature["boolean_type"] = boolean
    boolean_feature = True if boolean is None else boolean
    feature["default"] = rare(draw, st.booleans() if boolean_feature else PRESENT, VALUES)
    if draw(st.integers(0, 4)):
        rule_names = draw(
            st.lists(st.sampled_from(["r1", "r2", "r3", "r4"]), unique=True, min_size=1, max_size=3)
        )
        feature["rules"] = {
            name: {
                "when_match": rare(draw, st.booleans() if boolean_feature else VALUES, VALUES),
                "conditions": draw(st.lists(conditions(), min_size=1, max_size=2)),
            }
            for name in rule_names
        }
        if draw(st.integers(0, 40)) == 0:
            feature["rules"] = draw(JUNK)
    return feature


DOCUMENTS = st.dictionaries(st.sampled_from(["f1", "f2", "f3"]), features(), max_size=3)
CONTEXTS = st.dictionaries(st.sampled_from([*KEYS[:-1], "targetingKey"]), VALUES, max_size=5)
MISSING = object()  # no flag evaluated here is missing: this default must never come back
INSTANTS = st.integers(1_704_067_200, 1_798_761_600)  # 2024 to 2027, to the second


class InMemoryStore(StoreProvider):
    def __init__(self, document: Any) -> None:
        self.document = document

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self.document  # type: ignore[no-any-return]

    def get_configuration(self) -> dict[str, Any]:
        return self.document  # type: ignore[no-any-return]


def frozen(instant: int) -> Any:
    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.datetime.fromtimestamp(instant, tz)

    return Frozen


def powertools_refuses(document: Any) -> bool:
    try:
        SchemaValidator(document).validate()
    except Exception:
        return True
    return False


def ours_refuses(document: Any) -> bool:
    try:
        rules.validate(document)
    except Exception:
        return True
    return False


def echoing(document: Any, context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with each condition's own value under its key: contexts that match rules."""
    echoed = dict(context)
    for feature in document.values():
        rules_ = feature.get("rules") if isinstance(feature, dict) else None
        for rule in rules_.values() if isinstance(rules_, dict) else ():
            for condition in rule.get("conditions") or () if isinstance(rule, dict) else ():
                if isinstance(condition, dict) and isinstance(condition.get("key"), str):
                    echoed[condition["key"]] = condition.get("value")
    return echoed


def same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.lists(CONTEXTS, min_size=1, max_size=3), INSTANTS)
def test_evaluation_equals_feature_flags_evaluate(
    document: dict[str, Any], contexts: list[dict[str, Any]], instant: int
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refused = powertools_refuses(document)
        assert ours_refuses(document) == refused
        if refused:
            return
        flags = FeatureFlags(store=InMemoryStore(document))
        clock = frozen(instant)
        with mock.patch("aws_lambda_powertools.utilities.feature_flags.comparators.datetime", clock):
            for context in [*contexts, echoing(document, contexts[0])]:
                for name in document:
                    expected = flags.evaluate(name=name, context=context, default=MISSING)  # type: ignore[arg-type]
                    got = rules.evaluate(document, name, context, now=clock.now).value
                    assert same(got, expected), (name, context)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, CONTEXTS, st.text(min_size=1, max_size=12), INSTANTS)
def test_sticky_rollout_is_powertools_over_the_documented_bucket(
    document: dict[str, Any], context: dict[str, Any], targeting_key: str, instant: int
) -> None:
    """With a targeting key, the extension's value is Powertools' with ``rollout_bucket`` added:
    the first 8 bytes of SHA-256(flag, NUL, key), big-endian, modulo 100."""
    import hashlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if powertools_refuses(document):
            return
        context = {**context, "targetingKey": targeting_key}
        clock = frozen(instant)
        ours = Flags(document, now=clock.now)
        with mock.patch("aws_lambda_powertools.utilities.feature_flags.comparators.datetime", clock):
            for name in document:
                digest = hashlib.sha256(f"{name}\0{targeting_key}".encode()).digest()
                assert bucket(name, targeting_key) == int.from_bytes(digest[:8], "big") % 100
                with_bucket = {**context, BUCKET_KEY: bucket(name, targeting_key)}
                expected = FeatureFlags(store=InMemoryStore(document)).evaluate(
                    name=name, context=with_bucket, default=None
                )
                assert same(ours.evaluate(name, context).value, expected)


def test_a_ten_percent_rollout_by_string_user_ids_is_about_ten_percent_and_sticky() -> None:
    document = {
        "new_checkout": {
            "default": False,
            "rules": {
                "ten percent": {
                    "when_match": True,
                    "conditions": [{"action": "KEY_LESS_THAN_VALUE", "key": BUCKET_KEY, "value": 10}],
                }
            },
        }
    }
    rules.validate(document)
    flags = Flags(document)
    users = [f"user-{i}@example.com" for i in range(5000)]
    enabled = {u for u in users if flags.evaluate("new_checkout", {"targetingKey": u}).value}
    assert 400 < len(enabled) < 600
    assert enabled == {u for u in users if flags.evaluate("new_checkout", {"targetingKey": u}).value}
    assert flags.evaluate("new_checkout", {"targetingKey": users[0]}).reason in {"SPLIT", "DEFAULT"}
