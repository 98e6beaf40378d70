"""The invariant of one reading: what it accepts, every reader reads alike; what they would read
differently, it refuses, located; and no consumer lets a parser's own exception escape.

Differential over generated documents (``documents``): each is read by every reader of
``readers`` (PyYAML's C and pure-Python loaders on the raw body, json.loads, a YAML 1.2 reader,
the one reading over both parsers, the layer's client, the extension's ``?flag=`` and Powertools'
store, each under every content type a feature file comes with).
"""

from __future__ import annotations

import pytest
from feature_validator.errors import FeatureFileInvalid
from feature_validator.validate import validate
from hypothesis import example, given, settings

from tests.fuzz_settings import EXAMPLES, FUZZ
from tests.unit.reading.documents import DOCUMENTS
from tests.unit.reading.readers import CONSUMER_ERRORS, reading_accepts, readings

pytestmark = [pytest.mark.unit, pytest.mark.fuzz]

SETTINGS = settings(FUZZ, max_examples=EXAMPLES * 4)


@SETTINGS
@given(DOCUMENTS)
@example(b"a: &x 1\nb: &x 2\n")
@example("\ufeff\ufeffa: 1\n".encode())
@example("a: 1\n\ufeffb: 2\n".encode())
@example(b'{"a": 1E5}\n')
@example(b'{"a": NaN, "b": Infinity}\n')
@example('{"a": "x\x85y"}\n'.encode())
@example(b"premium: [! 1e5]\n")  # text to PyYAML, a float to ruamel.yaml: refused
def test_what_the_reading_accepts_every_reader_reads_alike(body: bytes) -> None:
    outcomes = readings(body)
    if reading_accepts(body):
        assert len(set(outcomes.values())) == 1, outcomes
        assert next(iter(outcomes.values())).document is not None
    else:
        # Refused: the validator says where, for every problem.
        with pytest.raises(FeatureFileInvalid) as refused:
            validate(body)
        assert all(p.line >= 1 and p.column >= 1 for p in refused.value.problems)


@SETTINGS
@given(DOCUMENTS)
def test_consumers_fail_with_their_own_error_never_a_parsers(body: bytes) -> None:
    for reader, outcome in readings(body).items():
        consumer = reader.split(" ")[0]
        if consumer in CONSUMER_ERRORS and outcome.error is not None:
            assert outcome.error in CONSUMER_ERRORS[consumer], (reader, outcome)
