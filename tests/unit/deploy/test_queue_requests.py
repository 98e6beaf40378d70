"""The deploy queue's side of the function: what a message is, and how long a busy stage holds it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from deployer.aws import Deployment
from deployer.holds import MARGIN, MAX_VISIBILITY, ROLLBACK_WAIT, hold_seconds
from deployer.outcomes import Outcome
from deployer.requests import Promotion, Request, requests_from_event
from deployer.uploads import NotAnUpload, Upload
from rollout_status.requests import promotion_body

EVENTS = Path(__file__).resolve().parents[3] / "events"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def requests(event: object) -> list[Request]:
    found = requests_from_event(event)
    assert found is not None
    return found


def record(body: object, group: str = "staging", count: str = "1") -> dict[str, Any]:
    return {
        "messageId": "m-1",
        "receiptHandle": "r-1",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": count},
        "eventSource": "aws:sqs",
    }


def test_an_upload_event_in_a_stages_group_is_a_request_into_that_stage() -> None:
    event = json.loads((EVENTS / "eventbridge-object-created.json").read_text())
    (request,) = requests({"Records": [record(event, "staging", "3")]})
    assert (request.message_id, request.receipt_handle, request.stage, request.receive_count) == (
        "m-1",
        "r-1",
        "staging",
        3,
    )
    assert isinstance(request.item, Upload)
    assert request.item.version_id == event["detail"]["object"]["version-id"]


def test_a_promotion_names_the_version_and_its_stage() -> None:
    body = promotion_body("b", "feature-file.yml", "v1", "production", "status-function")
    (request,) = requests({"Records": [record(body, "production")]})
    assert request.item == Promotion("b", "feature-file.yml", "v1", "production", "status-function")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("not json", "the message is not JSON"),
        ({"promote": {"bucket": "b", "key": "k"}}, "a promotion names bucket, key, versionId and to"),
        ({"Records": []}, "Records holds no event records"),
        ({"Records": [{"eventSource": "aws:s3"}] * 2}, "one message, one event"),
    ],
)
def test_a_message_that_is_no_request_is_unrecognized(body: object, why: str) -> None:
    (request,) = requests({"Records": [record(body)]})
    assert isinstance(request.item, NotAnUpload)
    result = request.item.result()
    assert result.outcome is Outcome.UNRECOGNIZED
    assert why in result.reason


@pytest.mark.parametrize(
    "event", [{}, {"Records": []}, {"Records": [{"eventSource": "aws:s3"}]}, {"source": "aws.s3"}, []]
)
def test_anything_but_an_sqs_event_is_not_the_queues(event: object) -> None:
    assert requests_from_event(event) is None


def test_a_missing_or_odd_receive_count_counts_as_the_first() -> None:
    (request,) = requests({"Records": [record({}, count="x")]})
    assert request.receive_count == 1


def _deployment(state: str, **times: Any) -> Deployment:
    return Deployment(4, "v1", state, duration_minutes=2, bake_minutes=3, observed_at=NOW, **times)


def test_a_deployment_rolling_out_holds_for_the_rest_of_its_rollout_and_its_whole_bake() -> None:
    started = NOW - timedelta(seconds=30)
    assert hold_seconds(_deployment("DEPLOYING", started_at=started)) == 90 + 180 + MARGIN


def test_a_baking_deployment_holds_for_what_is_left_of_its_bake() -> None:
    baking = _deployment(
        "BAKING", started_at=NOW - timedelta(minutes=3), bake_started_at=NOW - timedelta(minutes=1)
    )
    assert hold_seconds(baking) == 120 + MARGIN


def test_a_rollback_of_unknown_length_is_waited_for_a_minute_at_a_time() -> None:
    assert hold_seconds(_deployment("ROLLING_BACK")) == ROLLBACK_WAIT


def test_a_hold_is_at_least_a_second_and_at_most_sqs_longest_visibility() -> None:
    overdue = _deployment("DEPLOYING", started_at=NOW - timedelta(hours=2))
    assert hold_seconds(overdue) == MARGIN  # predicted over: look again shortly
    day = Deployment(
        4, "v1", "DEPLOYING", duration_minutes=1440, bake_minutes=1440, observed_at=NOW, started_at=NOW
    )
    assert hold_seconds(day) == MAX_VISIBILITY
    unknown = Deployment(4, "v1", "VALIDATING", duration_minutes=0, bake_minutes=0)
    assert hold_seconds(unknown) == MARGIN
