"""What the deploy function tells each version's status (see ``rollout_status``).

It writes what only it knows: ``deploying`` once AppConfig accepted the deployment,
``superseded`` when a newer upload won (before deploying, or by stopping a deployment of an
older version, which is marked before it is stopped so that AppConfig's report of the stop
finds it already superseded), and ``rejected`` with the validator's problems. A duplicate
delivery reports the deployment it found, which changes nothing but finishes a report that an
earlier, crashed attempt left half done. ``deployed``, ``rolled-back`` and ``failed`` are the
status function's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollout_status.model import Change, Status, Uploader
from rollout_status.reports import problems_from_message, read_report

from deployer.outcomes import Outcome

if TYPE_CHECKING:
    from collections.abc import Callable

    from rollout_status.model import Entry, Problem
    from rollout_status.store import Reported, StatusStore

    from deployer.outcomes import Result
    from deployer.uploads import Upload

BY = "deploy-function"
WRITES = frozenset({Status.DEPLOYING, Status.SUPERSEDED, Status.REJECTED})
"""Every status this function reports (``before_stop`` adds superseded)."""
_STATUS = {
    Outcome.DEPLOYED: Status.DEPLOYING,
    Outcome.DUPLICATE: Status.DEPLOYING,
    Outcome.SUPERSEDED: Status.SUPERSEDED,
    Outcome.REJECTED: Status.REJECTED,
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
    def __init__(
        self,
        store: StatusStore,
        s3: Any,
        environment: Environment,
        *,
        on_change: Callable[[Entry], None] = lambda entry: None,
    ) -> None:
        self._store = store
        self._s3 = s3
        self._environment = environment
        self._on_change = on_change

    def report(self, upload: Upload, result: Result) -> Reported | None:
        if upload.version_id is None or (upload.bucket, upload.key) != (self._store.bucket, self._store.key):
            return None
        problems: tuple[Problem, ...] = ()
        if result.outcome is Outcome.REJECTED:
            # The validator's own report; AppConfig's message when the validator could not write one.
            report = read_report(self._s3, upload.bucket, upload.key, upload.version_id)
            problems = report if report is not None else problems_from_message(result.reason)
        change = change_for(result, self._environment, problems)
        if change is None:
            return None
        uploaded_at = upload.event_time.isoformat() if upload.event_time else None
        uploader = Uploader(upload.uploader, uploaded_at)
        reported = self._store.report(upload.version_id, change, uploader=uploader)
        if reported.applied:
            self._on_change(reported.applied)
        return reported

    def before_stop(self, version: str, deployment_number: int, reason: str) -> None:
        change = Change(
            environment=self._environment.name,
            status=Status.SUPERSEDED,
            reason=reason,
            deployment_number=deployment_number,
            application_id=self._environment.application_id,
            environment_id=self._environment.environment_id,
            by=BY,
        )
        reported = self._store.report(version, change)
        if reported.applied:
            self._on_change(reported.applied)
