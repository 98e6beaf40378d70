"""The status rule: which reported changes apply, whatever order and how often they arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rollout_status.model import Change, Problem, Record, Status, Uploader, event_detail

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ENV = "production"


def change(status: Status, number: int | None = None, **kwargs: object) -> Change:
    return Change(ENV, status, f"{status} reason", number, **kwargs)  # type: ignore[arg-type]


def run(*changes: Change) -> Record:
    record = Record("bucket", "feature-file.yml", "v1")
    for i, item in enumerate(changes):
        record = record.apply(item, now=NOW + timedelta(seconds=i)) or record
    return record


def test_a_first_status_is_always_recorded_with_its_time_and_writer() -> None:
    record = run(
        change(Status.DEPLOYING, 4, by="deploy-function", application_id="app", environment_id="env")
    )
    assert (record.status, record.deployment_number) == (Status.DEPLOYING, 4)
    (entry,) = record.history
    assert (entry.at, entry.by, entry.environment) == ("2026-11-23T09:00:00.000Z", "deploy-function", ENV)
    assert record.environments[ENV].application_id == "app"


def test_a_repeated_change_is_not_news() -> None:
    record = run(change(Status.DEPLOYING, 4))
    assert record.apply(change(Status.DEPLOYING, 4), now=NOW) is None


@pytest.mark.parametrize(
    ("first", "then", "applies"),
    [
        (change(Status.DEPLOYING, 4), change(Status.DEPLOYED, 4), True),
        (change(Status.DEPLOYED, 4), change(Status.DEPLOYING, 4), False),  # a late start never undoes it
        (change(Status.DEPLOYING, 4), change(Status.ROLLED_BACK, 4), True),
        (change(Status.ROLLED_BACK, 4), change(Status.DEPLOYED, 4), False),
        (change(Status.DEPLOYED, 4), change(Status.SUPERSEDED, 4), True),  # reverted for a newer upload
        (change(Status.SUPERSEDED, 4), change(Status.ROLLED_BACK, 4), False),  # our own stop, reported
        (change(Status.SUPERSEDED, 4), change(Status.DEPLOYED, 4), False),
        (change(Status.DEPLOYED, 4), change(Status.SUPERSEDED), False),  # a late duplicate delivery
        (change(Status.REJECTED), change(Status.SUPERSEDED), False),
        (change(Status.DEPLOYED, 4), change(Status.FAILED), False),  # another delivery succeeded
        (change(Status.FAILED), change(Status.DEPLOYING, 5), True),  # replayed from the failure queue
        (change(Status.FAILED), change(Status.SUPERSEDED), True),
        (change(Status.DEPLOYED, 4), change(Status.DEPLOYING, 9), True),  # deployed again later
        (change(Status.DEPLOYED, 9), change(Status.ROLLED_BACK, 4), False),  # news of an older one
    ],
)
def test_what_may_follow_what(first: Change, then: Change, applies: bool) -> None:
    record = run(first)
    assert (record.apply(then, now=NOW) is not None) is applies


# Everything that can be reported about one deployment, by whichever writer, in causal families:
# whatever order and repetition they arrive in, the version ends in the same status.
FAMILIES = {
    Status.DEPLOYED: [change(Status.DEPLOYING, 3), change(Status.DEPLOYED, 3)],
    Status.ROLLED_BACK: [change(Status.DEPLOYING, 3), change(Status.ROLLED_BACK, 3, alarm="A")],
    Status.SUPERSEDED: [
        change(Status.DEPLOYING, 3),
        change(Status.DEPLOYED, 3),
        change(Status.SUPERSEDED, 3),
    ],
    Status.REJECTED: [change(Status.DEPLOYING, 3), change(Status.REJECTED, 3)],
}


@given(data=st.data(), final=st.sampled_from(sorted(FAMILIES)))
def test_the_final_status_does_not_depend_on_order_or_repetition(data: st.DataObject, final: Status) -> None:
    family = FAMILIES[final]
    deliveries = data.draw(st.lists(st.sampled_from(family), min_size=len(family), max_size=8))
    deliveries = [*family, *deliveries]
    ordered = data.draw(st.permutations(deliveries))
    leading_failure = data.draw(st.booleans())
    record = run(*([change(Status.FAILED)] if leading_failure else []), *ordered)
    assert record.status is final
    statuses = [e.status for e in record.history]
    assert len(statuses) == len(set(statuses)), "a status is recorded at most once per deployment"


def test_statuses_are_kept_per_environment_and_the_newest_change_summarises_them() -> None:
    record = Record("bucket", "key", "v1")
    record = record.apply(Change("staging", Status.DEPLOYED, "done", 2), now=NOW) or record
    record = record.apply(Change("production", Status.DEPLOYING, "started", 7), now=NOW) or record
    assert record.environments["staging"].status is Status.DEPLOYED
    assert (record.status, record.deployment_number) == (Status.DEPLOYING, 7)
    # A change in one environment says nothing about another's.
    assert record.apply(Change("staging", Status.DEPLOYING, "late", 2), now=NOW) is None


def test_the_record_round_trips_through_json_and_keeps_the_uploader_it_first_learned() -> None:
    problem = Problem("$.flag.default", 3, 12, "expected boolean")
    record = Record("bucket", "key", "v1").apply(
        change(Status.REJECTED, problems=(problem,)),
        now=NOW,
        uploader=Uploader("AWS:AIDA1", "2026-11-23T08:59:59Z"),
    )
    assert record is not None
    assert record.with_uploader(Uploader("someone-else", None)) is None
    again = Record.from_dict(record.as_dict())
    assert again == record
    assert record.as_dict()["uploader"] == "AWS:AIDA1"
    assert record.as_dict()["problems"] == [
        {"path": "$.flag.default", "line": 3, "column": 12, "message": "expected boolean"}
    ]


def test_an_unknown_schema_version_is_refused_rather_than_misread() -> None:
    with pytest.raises(ValueError, match="schema version"):
        Record.from_dict({"schemaVersion": 99, "bucket": "b", "key": "k", "versionId": "v"})


def test_the_event_carries_the_problems_of_a_refusal_only() -> None:
    problem = Problem("$.flag", 1, 1, "bad")
    record = run(change(Status.REJECTED, problems=(problem,)))
    detail = event_detail(record, record.history[-1])
    assert detail == {
        "bucket": "bucket",
        "key": "feature-file.yml",
        "versionId": "v1",
        "environment": ENV,
        "status": "rejected",
        "deploymentNumber": None,
        "reason": "rejected reason",
        "problems": [{"path": "$.flag", "line": 1, "column": 1, "message": "bad"}],
    }
    assert (
        event_detail(
            record, record.history[-1].__class__(**{**record.history[-1].__dict__, "status": Status.FAILED})
        )["problems"]
        == []
    )


def test_metric_names_are_one_word_per_status() -> None:
    assert [s.metric_name for s in Status] == [
        "StatusPending",
        "StatusDeploying",
        "StatusDeployed",
        "StatusRolledBack",
        "StatusSuperseded",
        "StatusRejected",
        "StatusFailed",
    ]
    assert [s for s in Status if not s.final] == [Status.PENDING, Status.DEPLOYING]
