"""The decision for one upload, record by record: every path ends in one named outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from deployer.outcomes import Outcome
from deployer.rollout import Rollout, Target

from tests.unit.deploy.conftest import BUCKET, KEY, NOW, PROFILE, Environment, Objects, upload

if TYPE_CHECKING:
    from collections.abc import Iterator

    from deployer.aws import Deployment


def test_newest_version_is_deployed(rollout: Rollout, environment: Environment) -> None:
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.DEPLOYED
    assert result.deployment_number == 1
    assert environment.started == ["v2"]


@pytest.mark.parametrize("event", ["ObjectRemoved:Delete", "ObjectRestore:Completed"])
def test_events_other_than_uploads_are_ignored(
    rollout: Rollout, environment: Environment, event: str
) -> None:
    assert rollout.decide(upload(event=event)).outcome is Outcome.IGNORED
    assert environment.started == []


@pytest.mark.parametrize("key", ["my-feature-file.yml", "other/feature-file.yml", "feature-file.yml.bak"])
def test_keys_that_only_match_the_suffix_filter_are_ignored(
    rollout: Rollout, environment: Environment, key: str
) -> None:
    result = rollout.decide(upload(key=key))
    assert result.outcome is Outcome.IGNORED
    assert key in result.reason
    assert environment.started == []


def test_another_bucket_is_ignored(rollout: Rollout) -> None:
    assert rollout.decide(upload(bucket="someone-elses")).outcome is Outcome.IGNORED


def test_missing_version_id_names_the_cause_and_deploys_nothing(
    rollout: Rollout, environment: Environment
) -> None:
    result = rollout.decide(upload(None))
    assert result.outcome is Outcome.UNVERSIONED
    assert "versioning is not enabled" in result.reason
    assert result.outcome.is_error
    assert environment.started == []


def test_an_older_version_is_superseded_whatever_order_events_arrive_in(
    rollout: Rollout, objects: Objects, environment: Environment
) -> None:
    objects.newest[KEY] = "v3"
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.SUPERSEDED
    assert result.details == {"newerVersion": "v3"}
    assert environment.started == []


def test_a_deleted_object_supersedes_its_last_upload(rollout: Rollout, objects: Objects) -> None:
    objects.newest[KEY] = None
    assert rollout.decide(upload("v2")).outcome is Outcome.SUPERSEDED


@pytest.mark.parametrize("state", ["COMPLETE", "DEPLOYING", "BAKING", "ROLLED_BACK"])
def test_a_repeated_delivery_is_a_duplicate(rollout: Rollout, environment: Environment, state: str) -> None:
    earlier = environment.add("v2", state)
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.DUPLICATE
    assert result.deployment_number == earlier.number
    assert environment.started == []


def test_history_is_read_no_further_back_than_the_upload(rollout: Rollout, environment: Environment) -> None:
    # A deployment of the same version id long before the upload cannot be its deployment.
    environment.add("v2", "COMPLETE", started=NOW - timedelta(days=30))
    environment.add("v1", "COMPLETE", started=NOW - timedelta(days=1))
    assert rollout.decide(upload("v2")).outcome is Outcome.DEPLOYED


def test_a_validator_refusal_is_rejected_with_its_reason(rollout: Rollout, environment: Environment) -> None:
    environment.refuse["v2"] = "flags.beta.default: line 3:12: expected a boolean"
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.REJECTED
    assert "line 3:12" in result.reason


def test_a_deployment_that_ends_rolled_back_in_validation_is_rejected(
    rollout: Rollout, environment: Environment
) -> None:
    environment.start_state = "VALIDATING"
    environment.later_states = ["ROLLED_BACK"]
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.REJECTED
    assert "line 3:7" in result.reason


@pytest.mark.parametrize(("state", "revert"), [("DEPLOYING", False), ("BAKING", True)])
def test_an_older_deployment_in_progress_is_stopped_for_the_newest(
    rollout: Rollout, environment: Environment, state: str, revert: bool
) -> None:
    older = environment.add("v1", state)
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.DEPLOYED
    assert environment.stopped == [(older.number, revert)]
    assert environment.started == ["v2"]


def test_the_same_version_in_progress_is_a_duplicate(rollout: Rollout, environment: Environment) -> None:
    # A concurrent delivery started it after our look at the history.
    environment.add("v2", "DEPLOYING")
    objects = Objects(newest={KEY: "v2"})
    racing = Rollout(
        Target(BUCKET, KEY, PROFILE), objects, _HidesHistoryOnce(environment), sleep=lambda _: None
    )
    result = racing.decide(upload("v2"))
    assert result.outcome is Outcome.DUPLICATE
    assert environment.stopped == []


def test_another_configuration_in_progress_is_not_ours_to_stop(
    rollout: Rollout, environment: Environment
) -> None:
    environment.add("7", "DEPLOYING", profile="someone-else")
    result = rollout.decide(upload("v2"))
    # Not a failure: the request waits for that deployment (the handler holds it on its queue).
    assert result.outcome is Outcome.WAITING
    assert "another configuration" in result.reason
    assert int(result.details["holdSeconds"]) >= 1
    assert result.details["blockingDeployment"] == "1"
    assert environment.stopped == []
    assert environment.started == []


def test_a_newer_upload_during_the_conflict_supersedes_instead_of_stopping(
    rollout: Rollout, objects: Objects, environment: Environment
) -> None:
    environment.add("v1", "DEPLOYING")
    objects.after_reads = ["v3"]  # v3 lands right after our first look
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.SUPERSEDED
    assert environment.stopped == []


def test_a_newer_upload_right_after_our_start_stops_our_deployment(
    rollout: Rollout, objects: Objects, environment: Environment
) -> None:
    objects.after_reads = ["v3"]  # v3 lands between our first look and the look after StartDeployment
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.SUPERSEDED
    assert environment.stopped == [(1, True)]
    assert environment.items[0].state == "ROLLED_BACK"


class _HidesHistoryOnce(Environment):
    """The history is empty at the first look and full at the second: a concurrent delivery."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(items=environment.items, stopped=environment.stopped, started=environment.started)
        self._looks = 0

    def history(self) -> Iterator[Deployment]:
        self._looks += 1
        return iter([]) if self._looks == 1 else super().history()


def test_a_concurrent_delivery_that_already_completed_keeps_the_first_deployment(
    environment: Environment,
) -> None:
    # The other delivery deployed v2 and, with a zero-time strategy, finished before our start.
    environment.add("v2", "COMPLETE")
    racing = _HidesHistoryOnce(environment)
    rollout = Rollout(Target(BUCKET, KEY, PROFILE), Objects(newest={KEY: "v2"}), racing, sleep=lambda _: None)
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.DUPLICATE
    assert result.deployment_number == 1
    assert environment.stopped == [(2, True)]  # ours, reverted to the first deployment's version


def test_a_concurrent_delivery_that_starts_first_is_caught_by_the_latest_deployment_guard(
    rollout: Rollout, environment: Environment
) -> None:
    environment.add("v1", "COMPLETE")

    def another_delivery_deploys_v2(env: Environment) -> None:
        env.add("v2", "COMPLETE")

    # Between our look at the history and our start, another delivery of v2 starts and completes.
    environment.before_start = another_delivery_deploys_v2
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.DUPLICATE
    assert result.deployment_number == 2
    assert environment.started == []
    assert environment.stopped == []


def test_a_deployment_still_validating_is_waited_for_not_stopped(
    rollout: Rollout, environment: Environment
) -> None:
    older = environment.add("v1", "VALIDATING")
    environment.later_states = ["DEPLOYING"]  # its validator passes; then it can be stopped
    result = rollout.decide(upload("v2"))
    assert result.outcome is Outcome.DEPLOYED
    assert environment.stopped == [(older.number, False)]


def _marking_rollout(objects: Objects, environment: Environment, marks: list[object]) -> Rollout:
    def before_stop(version: str, number: int, reason: str) -> None:
        # The deployment must still be running: the mark comes before the stop, never after.
        state = next(d.state for d in environment.items if d.number == number)
        marks.append((version, number, state, reason))

    return Rollout(
        Target(BUCKET, KEY, PROFILE), objects, environment, sleep=lambda _: None, before_stop=before_stop
    )


def test_an_older_version_is_marked_superseded_before_its_deployment_is_stopped(
    objects: Objects, environment: Environment
) -> None:
    marks: list[object] = []
    older = environment.add("v1", "DEPLOYING")
    result = _marking_rollout(objects, environment, marks).decide(upload("v2"))
    assert result.outcome is Outcome.DEPLOYED
    assert marks == [("v1", older.number, "DEPLOYING", "stopped: the newer version v2 won")]
    assert environment.stopped == [(older.number, False)]


def test_our_own_deployment_is_marked_superseded_before_a_newer_upload_stops_it(
    objects: Objects, environment: Environment
) -> None:
    marks: list[object] = []
    objects.after_reads = ["v3"]
    result = _marking_rollout(objects, environment, marks).decide(upload("v2"))
    assert result.outcome is Outcome.SUPERSEDED
    assert [(m[0], m[1], m[2]) for m in marks] == [("v2", 1, "DEPLOYING")]  # type: ignore[index]


def test_a_duplicate_deployment_of_the_same_version_is_stopped_without_a_mark(
    objects: Objects, environment: Environment
) -> None:
    marks: list[object] = []

    def concurrent_delivery(env: Environment) -> None:
        env.add("v2", "COMPLETE")  # the same version's other delivery got there first

    environment.before_start = concurrent_delivery
    result = _marking_rollout(objects, environment, marks).decide(upload("v2"))
    assert result.outcome is Outcome.DUPLICATE
    assert marks == []
