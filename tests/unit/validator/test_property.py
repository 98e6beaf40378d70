"""Property: whatever the upload, the validator returns the data or raises its own error, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from feature_validator import loading, schema, semantics
from feature_validator.errors import FeatureFileInvalid
from feature_validator.locate import Locator
from feature_validator.validate import validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

pytestmark = pytest.mark.unit

SAMPLE = (Path(__file__).resolve().parents[3] / "feature-file.yml").read_text()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Characters that matter to YAML, so mutations reach the parser's corners.
YAML_ALPHABET = st.sampled_from([*" \n\t-:?,[]{}#&*!|>'\"%@`~.0123456789abcNOyes<=\\", "\x00", "\u2028", "é"])


def outcome(content: bytes) -> dict[str, Any] | FeatureFileInvalid:
    """The data, or the validator's own error (checked for sense); anything else fails the test."""
    try:
        return validate(content)
    except FeatureFileInvalid as error:
        refused = error
    assert refused.total >= 1
    assert all(p.line >= 1 and p.column >= 1 for p in refused.problems)
    return refused


@SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes(content: bytes) -> None:
    outcome(content)


@SETTINGS
@given(st.text(YAML_ALPHABET, max_size=300))
def test_any_yamlish_text(text: str) -> None:
    outcome(text.encode())


@st.composite
def mutated_sample(draw: st.DrawFn) -> str:
    text = SAMPLE
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "duplicate-line"]))
        if kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "insert":
            text = text[:start] + draw(st.text(YAML_ALPHABET, max_size=12)) + text[start:]
        elif kind == "replace":
            text = text[:start] + draw(st.text(YAML_ALPHABET, min_size=1, max_size=8)) + text[end:]
        else:
            lines = text.splitlines(keepends=True)
            index = draw(st.integers(0, len(lines) - 1))
            text = "".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    return text


# Refusals that neither PyYAML's safe_load nor the JSON Schema would make: the loader's stricter
# YAML rules and the semantic checks.
BEYOND_YAML_AND_SCHEMA = {
    "duplicate-key",
    "merge-key",
    "tag",
    "key-type",
    "alias-cycle",
    "alias-bomb",
    "not-finite",
    "too-deep",
    "multiple-documents",
    "empty",
    "yaml11-boolean",
    "schedule",
    "modulo-range",
    "timezone",
    "never-matches",
    "powertools",
}


@SETTINGS
@given(mutated_sample())
def test_mutations_of_the_sample_file_are_accepted_or_refused_as_the_references_say(text: str) -> None:
    """Accepted: the data PyYAML reads. Refused: PyYAML or the JSON Schema refuse it too, or the
    refusal is one of the checks they do not make."""
    result = outcome(text.encode())
    try:
        reference: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        assert isinstance(result, FeatureFileInvalid)
        return
    if not isinstance(result, FeatureFileInvalid):
        assert result == reference
    elif Draft202012Validator(schema.schema()).is_valid(reference):
        assert {p.code for p in result.problems} <= BEYOND_YAML_AND_SCHEMA, result.problems


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


@SETTINGS
@given(DOCUMENTS)
def test_generated_documents_and_the_schema_agree(document: dict[str, Any]) -> None:
    text = yaml.safe_dump(document, sort_keys=False)
    result = outcome(text.encode())
    schema_valid = Draft202012Validator(schema.schema()).is_valid(document)
    if not isinstance(result, FeatureFileInvalid):
        assert schema_valid
        assert result == document
    elif schema_valid:
        # Refused beyond the schema: only by the checks a schema cannot make.
        codes = {p.code for p in result.problems}
        assert codes <= {
            "schedule",
            "modulo-range",
            "timezone",
            "never-matches",
            "yaml11-boolean",
            "powertools",
        }


def _located(text: str, *, by_flag: bool) -> list[tuple[str, int, int]]:
    loaded = loading.load(text)
    locator = Locator(text, loaded.spans if by_flag else None)
    try:
        schema.check(loaded.data, locator)
        found = semantics.check(loaded.data, locator)
    except FeatureFileInvalid as error:
        found = list(error.problems)
    return [(p.path, p.line, p.column) for p in found]


@SETTINGS
@given(mutated_sample())
def test_locating_within_one_flag_agrees_with_composing_the_whole_file(text: str) -> None:
    try:
        by_flag = _located(text, by_flag=True)
    except FeatureFileInvalid:
        return  # refused while loading: no locator involved
    assert by_flag == _located(text, by_flag=False)
