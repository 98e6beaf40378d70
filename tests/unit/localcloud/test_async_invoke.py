"""Lambda's asynchronous retries in the local cloud: how an event's age is counted. No network."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.lambda_runtime.async_invoke import AsyncInvoker, InvokeConfig
from localcloud.lambda_runtime.functions import Invocation

pytestmark = pytest.mark.unit
ERROR = {"errorType": "ThrottlingException", "errorMessage": "Rate exceeded"}


class FailingFunction:
    """A function whose attempts fail (or succeed from ``succeeds_from`` on), each reported as
    having run ``seconds``: nothing sleeps, the duration is what the invoker is told."""

    def __init__(self, seconds: float, succeeds_from: int | None = None) -> None:
        self.seconds = seconds
        self.succeeds_from = succeeds_from
        self.calls = 0

    def invoke(self, function: str, payload: Any) -> Invocation:
        self.calls += 1
        succeeded = self.succeeds_from is not None and self.calls >= self.succeeds_from
        return Invocation(
            payload={} if succeeded else ERROR,
            error=None if succeeded else ERROR,
            cold_start=self.calls == 1,
            duration_ms=self.seconds * 1000,
        )


def run(function: FailingFunction, config: InvokeConfig, time_scale: float = 1e6) -> Any:
    invoker = AsyncInvoker(function, configs={"Deploy": config}, time_scale=time_scale, concurrency=1)  # type: ignore[arg-type]
    try:
        event = invoker.invoke("Deploy", {"n": 1})
        assert invoker.drain(60)  # a hang guard: the retries' waits are microseconds at this scale
        return event
    finally:
        invoker.stop()


def test_a_slow_attempt_on_a_busy_machine_does_not_age_the_event_past_its_retries() -> None:
    # Three attempts of 10 s and the waits of 60 s and 120 s: about 3.5 minutes of age, far from
    # the hour the template allows. At a time scale of 600, scaling the attempts too would have
    # read them as 100 minutes each, and the event would have gone to the failure destination
    # after its first attempt, which no event of a function with a 60 s timeout does on AWS.
    event = run(FailingFunction(seconds=10), InvokeConfig(maximum_event_age=3600), time_scale=600)
    assert (len(event.attempts), event.outcome) == (3, "failed")
    assert event.age == pytest.approx(3 * 10 + 60 + 120)


def test_a_retry_that_succeeds_ends_the_event() -> None:
    event = run(FailingFunction(seconds=1, succeeds_from=2), InvokeConfig())
    assert (len(event.attempts), event.outcome) == (2, "succeeded")


def test_retries_stop_once_the_documented_waits_would_age_the_event_past_its_maximum() -> None:
    # Lambda waits a minute before the first retry and two before the second: with a maximum age
    # of 100 s the first retry happens (1 + 60 s), the second would not (62 + 120 s).
    event = run(FailingFunction(seconds=1), InvokeConfig(maximum_event_age=100))
    assert (len(event.attempts), event.outcome) == (2, "failed")
