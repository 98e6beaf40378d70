"""Helpers for the validator's tests: validate text, and read the problems back."""

from __future__ import annotations

import textwrap

import pytest
from feature_validator.errors import FeatureFileInvalid, Problem
from feature_validator.validate import validate


def problems_of(text: str | bytes) -> list[Problem]:
    """The problems the validator reports for ``text`` (dedented when it is a str)."""
    content = textwrap.dedent(text).encode() if isinstance(text, str) else text
    with pytest.raises(FeatureFileInvalid) as raised:
        validate(content)
    return list(raised.value.problems)


def only_problem(text: str | bytes) -> Problem:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def where(problem: Problem) -> tuple[str, int, int, str]:
    return (problem.path, problem.line, problem.column, problem.code)
