"""The fuzz tier: hostile inputs of every family end as valid or as located problems, never a crash.

The families (``bench.validator_corpus``, shared with the benchmark that times them): random
bytes, byte order marks, tags and anchors, alias bombs, deep nesting, huge scalars, YAML 1.1
forms, Unicode line separators, mutations of valid files, and bad conditions by the thousand.
Each input goes through the validator (what the Lambda and the command line run); the handler
turns anything but the validator's own refusal into ``ValidatorFailed``, so a crash here is a
crash there. An input the validator accepts must read alike for every consumer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from appconfig_reading import DocumentError
from appconfig_reading.text import Lines, decode
from feature_validator.errors import FeatureFileInvalid
from feature_validator.validate import validate
from hypothesis import given
from hypothesis import strategies as st

from bench.validator_corpus import FAMILIES
from tests.fuzz_settings import FUZZ, SCALE
from tests.unit.reading.readers import readings

if TYPE_CHECKING:
    import random

pytestmark = [pytest.mark.unit, pytest.mark.fuzz]


def check_outcome(content: bytes) -> None:
    """Valid (and read alike by every reader), or refused with problems that say where."""
    try:
        validate(content)
    except FeatureFileInvalid as refused:
        _sane(refused, content)
        return
    assert len(set(readings(content).values())) == 1


def _sane(refused: FeatureFileInvalid, content: bytes) -> None:
    assert refused.total >= len(refused.problems) >= 1
    try:
        text = decode(content)
    except DocumentError:
        text = content.decode("utf-8", "replace")
    last_line = Lines(text).position(len(text))[0]
    for problem in refused.problems:
        assert 1 <= problem.line <= last_line, problem
        assert problem.column >= 1, problem
        assert problem.message, problem
        assert problem.code, problem
        assert problem.path.startswith("$"), problem


@FUZZ
@given(st.sampled_from(sorted(FAMILIES)), st.randoms(use_true_random=False))
def test_hostile_inputs_end_as_valid_or_as_located_problems(family: str, rng: random.Random) -> None:
    check_outcome(FAMILIES[family](rng, SCALE))


@FUZZ
@given(st.binary(max_size=512))
def test_any_bytes(content: bytes) -> None:
    check_outcome(content)
