"""The flags API's caller context: what a request may carry."""

from __future__ import annotations

import pytest
from flags_api.caller import BadCaller, caller_from_query


def test_query_becomes_the_rules_context() -> None:
    caller = caller_from_query({"user": "ana@example.com", "tier": "premium", "region": "eu-west-1"})
    assert caller.as_context() == {"user": "ana@example.com", "tier": "premium", "region": "eu-west-1"}


def test_user_defaults_to_anonymous() -> None:
    assert caller_from_query({"tier": "free", "region": "us-east-1"}).user == "anonymous"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (None, "'tier' is required"),
        ({"tier": "free"}, "'region' is required"),
        ({"tier": "free", "region": "us east"}, "'region' must be"),
        ({"tier": "x" * 65, "region": "eu"}, "'tier' must be"),
        ({"tier": "<script>", "region": "eu"}, "'tier' must be"),
    ],
)
def test_malformed_context_is_refused_with_the_reason(query: dict[str, str] | None, message: str) -> None:
    with pytest.raises(BadCaller, match=message):
        caller_from_query(query)
