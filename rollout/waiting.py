"""Waiting for a version's final status: poll its record, show the rollout's progress meanwhile.

The record (``<key>.rollout/<versionId>.json``) is written before the version's tags and its
event, so it is the first place a status shows. Polls are every 50 ms for the first
``FAST_FOR`` seconds (a zero-time deployment is over by then, and is answered within 50 ms of its
record), then slow down by a quarter each time to at most every 2 s: an hour-long deployment
costs a request every 2 s. While the version is ``deploying`` the deployment's
own state and percentage come from GetDeployment, when the caller may read it, once the wait
has lasted ``PROGRESS_AFTER`` (2 s): a deployment over sooner needs no AppConfig client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from rollout_status.model import EnvironmentStatus, Record, Status

FIRST_INTERVAL = 0.05
GROWTH = 1.25
MAX_INTERVAL = 2.0
FAST_FOR = 2.0
"""Seconds during which polls stay at ``FIRST_INTERVAL``."""
PROGRESS_AFTER = 2.0
"""Seconds of waiting before the deployment's own progress is read."""


@dataclass(frozen=True)
class Progress:
    status: Status | None
    """None while the version has no status yet (the deploy function has not seen it)."""
    deployment_number: int | None = None
    state: str | None = None
    """AppConfig's deployment state (DEPLOYING, BAKING ...), when GetDeployment may be read."""
    percentage: float | None = None


def status_in(
    record: Record | None, environment: str | None, stages: tuple[str, ...] = ()
) -> EnvironmentStatus | None:
    """The version's status in ``environment``, or the newest change's anywhere when None.

    With the stack's ``stages``, a version that has no status in ``environment`` because an
    earlier stage stopped it (rolled back, superseded, rejected or failed there) has that
    earlier status as its answer: it will never reach the later stage."""
    if record is None or not record.environments:
        return None
    if environment is not None and environment in record.environments:
        return record.environments[environment]
    if environment is not None and environment in stages:
        for earlier in stages[: stages.index(environment)]:
            status = record.environments.get(earlier)
            if status is not None and status.status.stops_promotion:
                return status
        return None
    latest = record.latest
    return record.environments[latest.environment] if latest else None


class Waiter:
    def __init__(
        self,
        read_record: Callable[[str], Record | None],
        read_deployment: Callable[[str, str, int], dict[str, Any] | None],
        *,
        monotonic: Callable[[], float],
        sleep: Callable[[float], None],
        on_progress: Callable[[Progress], None],
        environment: str | None = None,
        stages: tuple[str, ...] = (),
    ) -> None:
        self._read_record = read_record
        self._read_deployment = read_deployment
        self._monotonic = monotonic
        self._sleep = sleep
        self._on_progress = on_progress
        self._environment = environment
        self._stages = stages

    def wait(self, version_id: str, timeout: float) -> Record | None:
        """The record once the version's status is final; None if ``timeout`` seconds pass first."""
        started = self._monotonic()
        deadline = started + timeout
        interval = FIRST_INTERVAL
        last: Progress | None = None
        while True:
            record = self._read_record(version_id)
            current = status_in(record, self._environment, self._stages)
            if current is not None and current.status.final:
                return record
            progress = self._progress(current, detailed=self._monotonic() - started >= PROGRESS_AFTER)
            if progress != last:
                self._on_progress(progress)
                last = progress
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return None
            self._sleep(min(interval, remaining))
            if self._monotonic() - started >= FAST_FOR:
                interval = min(interval * GROWTH, MAX_INTERVAL)

    def _progress(self, current: EnvironmentStatus | None, *, detailed: bool) -> Progress:
        if current is None:
            return Progress(None)
        number = current.deployment_number
        if not detailed or number is None or not (current.application_id and current.environment_id):
            return Progress(current.status, number)
        deployment = self._read_deployment(current.application_id, current.environment_id, number)
        if not deployment:
            return Progress(current.status, number)
        return Progress(current.status, number, deployment.get("State"), deployment.get("PercentageComplete"))
