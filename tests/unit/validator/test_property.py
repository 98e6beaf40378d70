"""Property: whatever the upload, the validator returns the data or raises its own error, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from appconfig_reading.text import Lines
from feature_validator import loading, schema
from feature_validator.errors import FeatureFileInvalid
from feature_validator.locate import Finding, Locator
from feature_validator.validate import validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tests.unit.validator.strategies import DOCUMENTS

if TYPE_CHECKING:
    from collections.abc import Iterator

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


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _composed(text: str, finding: Finding) -> tuple[int, int]:
    """Where PyYAML's composer puts the node (or the key) a finding names: the reference."""
    node: Any = yaml.compose(text, Loader=yaml.CSafeLoader)
    for part in finding.path:
        children: dict[Any, tuple[Any, Any]] = (
            {k.value: (k, v) for k, v in node.value}
            if isinstance(node, yaml.MappingNode)
            else {i: (v, v) for i, v in enumerate(node.value)}
            if isinstance(node, yaml.SequenceNode)
            else {}
        )
        if part not in children:
            break
        node = children[part][1]
    else:
        if finding.at_key is not None:
            node = next(k for k, _ in node.value if k.value == finding.at_key)
    return Lines(text).position(node.start_mark.index)


@SETTINGS
@given(mutated_sample(), st.randoms(use_true_random=False))
def test_the_locator_puts_problems_where_the_composer_puts_their_nodes(text: str, rng: Any) -> None:
    try:
        loaded = loading.load(text)
    except FeatureFileInvalid:
        return
    if loaded.issues or "*" in text:  # through an alias the walk stops at it, the composer follows it
        return
    paths = list(_paths(loaded.data))
    findings = [Finding(list(p), "m", "c") for p in rng.sample(paths, min(12, len(paths)))]
    findings += [Finding([*f.path, "no such key"], "m", "c") for f in findings[:3]]
    findings += [
        Finding(list(p), "m", "c", at_key=str(rng.choice(list(v))))
        for p in paths[:40]
        if isinstance(v := _at(loaded.data, p), dict) and v
    ]
    expected = [_composed(text, f) for f in findings]
    for locator in (Locator(text, loaded.spans, loaded.lines), Locator(text)):
        assert [(p.line, p.column) for p in locator.locate(findings)] == expected


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data
