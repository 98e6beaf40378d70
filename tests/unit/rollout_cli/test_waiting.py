"""Waiting for a version's answer, on an injected clock: no sleeps, no timing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from rollout_status.model import Change, Problem, Record, Status

from rollout.show import describe, final_lines
from rollout.waiting import FAST_FOR, FIRST_INTERVAL, MAX_INTERVAL, Progress, Waiter

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def record(*changes: Change) -> Record:
    result = Record("bucket", "feature-file.yml", "v1")
    for change in changes:
        result = result.apply(change, now=NOW) or result
    return result


def started(number: int = 4) -> Change:
    return Change(
        "production", Status.DEPLOYING, "started", number, application_id="app", environment_id="env"
    )


def waiter(records: list[Record | None], clock: Clock, seen: list[Progress], **kwargs: Any) -> Waiter:
    def read(version: str) -> Record | None:
        return records.pop(0) if len(records) > 1 else records[0]

    def deployment(app: str, env: str, number: int) -> dict[str, Any]:
        return {"State": "DEPLOYING", "PercentageComplete": 50.0}

    return Waiter(
        read, deployment, monotonic=clock.monotonic, sleep=clock.sleep, on_progress=seen.append, **kwargs
    )


def test_it_returns_the_record_once_the_status_is_final_and_shows_each_step_once() -> None:
    clock, seen = Clock(), list[Progress]()
    deployed = record(started(), Change("production", Status.DEPLOYED, "deployment 4 completed", 4))
    records: list[Record | None] = [None, None, *[record(started())] * 60, deployed]
    answer = waiter(records, clock, seen).wait("v1", timeout=60)
    assert answer is deployed
    # AppConfig's own progress is read only once the wait has lasted PROGRESS_AFTER.
    assert seen == [
        Progress(None),
        Progress(Status.DEPLOYING, 4),
        Progress(Status.DEPLOYING, 4, "DEPLOYING", 50.0),
    ]
    assert describe(seen[2]) == "deploying: deployment 4, DEPLOYING 50%"


def test_polls_start_fast_and_slow_down_to_a_bound() -> None:
    clock, seen = Clock(), list[Progress]()
    assert waiter([None], clock, seen).wait("v1", timeout=30) is None
    fast = len(list(itertools.takewhile(lambda s: s == FIRST_INTERVAL, clock.sleeps)))
    assert abs(fast * FIRST_INTERVAL - FAST_FOR) <= FIRST_INTERVAL
    growing = clock.sleeps[:-1]  # the last one is cut to the deadline
    assert growing == sorted(growing)
    assert max(growing) == MAX_INTERVAL
    assert clock.now == 30  # the last sleep ends exactly at the deadline


def test_it_waits_for_the_environment_it_was_told() -> None:
    clock, seen = Clock(), list[Progress]()
    staging_done = record(Change("staging", Status.DEPLOYED, "done", 2), started(7))
    assert waiter([staging_done], clock, seen, environment="production").wait("v1", timeout=1) is None
    assert waiter([staging_done], clock, seen, environment="staging").wait("v1", timeout=1) is staging_done


def test_a_refusal_prints_every_problem_as_file_line_column() -> None:
    problems = (Problem("$.a", 3, 7, "expected boolean"), Problem("$.b", 9, 1, "unknown key"))
    refused = record(
        Change("production", Status.REJECTED, "refused by the validator: 2 problems", problems=problems)
    )
    assert final_lines(refused, "feature-file.yml", None) == [
        "rejected: refused by the validator: 2 problems",
        "feature-file.yml:3:7: $.a: expected boolean",
        "feature-file.yml:9:1: $.b: unknown key",
    ]


def test_a_rollback_names_the_alarm() -> None:
    rolled = record(
        started(), Change("production", Status.ROLLED_BACK, "rolled back", 4, alarm="ConsumerErrors")
    )
    assert final_lines(rolled, "f", "production")[1] == "alarm: ConsumerErrors"
