"""Generated feature flags documents: every action, values of every shape, keys present or not."""

from __future__ import annotations

from feature_validator import schema
from hypothesis import strategies as st

ACTIONS = st.sampled_from(schema.action_names())
SCALARS = st.one_of(
    st.booleans(), st.integers(-5, 200), st.sampled_from(["gold", "12:00", "MONDAY", "", "NO"])
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.fixed_dictionaries({"START": st.sampled_from(["09:00", "2025-01-01T00:00:00", 3]), "END": SCALARS}),
    st.fixed_dictionaries(
        {"BASE": st.integers(0, 10), "START": st.integers(0, 10), "END": st.integers(0, 10)}
    ),
    st.fixed_dictionaries({"DAYS": st.lists(st.sampled_from(["MONDAY", "FUNDAY"]), max_size=2)}),
)
CONDITION = st.fixed_dictionaries(
    {"action": ACTIONS, "key": st.sampled_from(["tier", "CURRENT_TIME", "CURRENT_DATETIME", "", "user"])},
    optional={"value": VALUES, "extra": SCALARS},
)
RULE = st.fixed_dictionaries(
    {"conditions": st.lists(CONDITION, max_size=3)}, optional={"when_match": st.one_of(SCALARS, st.none())}
)
FLAG = st.fixed_dictionaries(
    {},
    optional={
        "default": st.one_of(SCALARS, st.none(), st.lists(SCALARS, max_size=2)),
        "boolean_type": st.booleans(),
        "rules": st.dictionaries(st.sampled_from(["r1", "r2", "a rule"]), RULE, max_size=2),
    },
)
DOCUMENTS = st.dictionaries(st.sampled_from(["f1", "f2", "flag"]), FLAG, max_size=3)
