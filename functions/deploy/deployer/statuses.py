"""What the deploy function tells each version's status in each stage (see ``rollout_status``).

It writes what only it knows: ``deploying`` once AppConfig accepted the deployment,
``superseded`` when a newer version won (before deploying, or by stopping a deployment of an
older version, which is marked before it is stopped so that AppConfig's report of the stop
finds it already superseded), ``rejected`` with the validator's problems, ``pending`` while the
request waits for another configuration's deployment, and ``failed`` when the queue's last
attempt fails. A duplicate delivery reports the deployment it found, which changes nothing but
finishes a report that an earlier, crashed attempt left half done. ``deployed`` and
``rolled-back`` are the status function's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollout_status.model import Change, Status, Uploader
from rollout_status.reports import problems_from_message, read_report

from deployer.outcomes import Outcome
from deployer.uploads import Upload

if TYPE_CHECKING:
    from collections.abc import Callable

    from rollout_status.model import Entry, Problem
    from rollout_status.store import Reported, StatusStore

    from deployer.outcomes import Result
    from deployer.requests import Promotion

BY = "deploy-function"
WRITES = frozenset({Status.DEPLOYING, Status.SUPERSEDED, Status.REJECTED, Status.PENDING, Status.FAILED})
"""Every status this function reports (``before_stop`` adds superseded, ``failed`` failed)."""
_STATUS = {
    Outcome.DEPLOYED: Status.DEPLOYING,
    Outcome.DUPLICATE: Status.DEPLOYING,
    Outcome.SUPERSEDED: Status.SUPERSEDED,
    Outcome.REJECTED: Status.REJECTED,
    Outcome.WAITING: Status.PENDING,
}


@dataclass(frozen=True)
class Environment:
    name: str
    application_id: str
    environment_id: str


def change_for(result: Result, environment: Environment, problems: tuple[Problem, ...] = ()) -> Change | None:
    """The status change a decision reports, or None for uploads that are not the object's."""
    status = _STATUS.get(result.outcome)
    if status is None or (result.outcome is Outcome.DUPLICATE and result.deployment_number is None):
        return None
    reason = result.reason
    if status is Status.REJECTED and problems:
        noun = "problem" if len(problems) == 1 else "problems"
        reason = f"refused by the validator: {len(problems)} {noun}, the first at {problems[0]}"
    return Change(
        environment=environment.name,
        status=status,
        reason=reason,
        deployment_number=result.deployment_number,
        problems=problems,
        application_id=environment.application_id,
        environment_id=environment.environment_id,
        by=BY,
    )


class VersionStatuses:
    """The records of every configuration's versions, one store per object."""

    def __init__(
        self,
        store_for: Callable[[str], StatusStore],
        s3: Any,
        *,
        on_change: Callable[[Entry], None] = lambda entry: None,
    ) -> None:
        self._store_for = store_for
        self._s3 = s3
        self._on_change = on_change

    def report(self, item: Upload | Promotion, environment: Environment, result: Result) -> Reported | None:
        """The decision about ``item`` in the stage ``environment``; None when there is nothing to tell."""
        if item.version_id is None:
            return None
        problems: tuple[Problem, ...] = ()
        if result.outcome is Outcome.REJECTED:
            # The validator's own report; AppConfig's message when the validator could not write one.
            report = read_report(self._s3, item.bucket, item.key, item.version_id)
            problems = report if report is not None else problems_from_message(result.reason)
        change = change_for(result, environment, problems)
        if change is None:
            return None
        uploader = None
        if isinstance(item, Upload):
            uploaded_at = item.event_time.isoformat() if item.event_time else None
            uploader = Uploader(item.uploader, uploaded_at)
        return self._report(item.key, item.version_id, change, uploader)

    def failed(self, item: Upload | Promotion, environment: Environment, reason: str) -> Reported | None:
        if item.version_id is None:
            return None
        change = Change(
            environment=environment.name,
            status=Status.FAILED,
            reason=reason,
            application_id=environment.application_id,
            environment_id=environment.environment_id,
            by=BY,
        )
        return self._report(item.key, item.version_id, change)

    def before_stop(self, key: str, environment: Environment) -> Callable[[str, int, str], None]:
        """What to call before a deployment of ``key`` in the stage is stopped for a newer version."""

        def mark(version: str, deployment_number: int, reason: str) -> None:
            change = Change(
                environment=environment.name,
                status=Status.SUPERSEDED,
                reason=reason,
                deployment_number=deployment_number,
                application_id=environment.application_id,
                environment_id=environment.environment_id,
                by=BY,
            )
            self._report(key, version, change)

        return mark

    def _report(self, key: str, version: str, change: Change, uploader: Uploader | None = None) -> Reported:
        reported = self._store_for(key).report(version, change, uploader=uploader)
        if reported.applied:
            self._on_change(reported.applied)
        return reported
