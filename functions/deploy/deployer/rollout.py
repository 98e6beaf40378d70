"""The decision for one version of one configuration in one stage: deploy it, or say why not.

Invariants (S3 delivers events at least once, in any order, sometimes minutes late; the queue
redelivers):

* Only the newest version is ever deployed in a stage: in the first stage the object's current
  version, in a later one the version in service in the stage before (``ObjectVersions``). The
  check runs before StartDeployment and again after it: if a newer version came in between,
  our deployment is stopped (reverted if it already completed) and the newer one's own request
  deploys it.
* A version that already has a deployment in the stage is never deployed again there.
* AppConfig deploys one configuration per environment at a time. When StartDeployment conflicts
  with an older version of *this* configuration, the newest wins: the older deployment is
  stopped and ours starts. When another configuration holds the environment, it is not ours to
  stop: the request waits (``Outcome.WAITING``, with the time that deployment has left), and the
  handler leaves it in flight on its queue for that long, so the stage takes its requests one
  after another, in order, and no function runs while it waits.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from deployer.errors import ConfigurationRefused, DeploymentConflict, EnvironmentBusy
from deployer.holds import hold_seconds
from deployer.outcomes import Outcome, Result

if TYPE_CHECKING:
    from collections.abc import Callable

    from deployer.aws import Deployment, Deployments, ObjectVersions
    from deployer.uploads import Upload

# Clock skew allowed between S3's eventTime and AppConfig's StartedAt when looking back for an
# earlier deployment of the same version.
_SKEW = timedelta(minutes=5)
# StartDeployment attempts after stopping an older deployment; each stop frees the environment
# unless yet another deployment slips in, which only a newer upload (that supersedes us) can do.
_MAX_STARTS = 4
# How far back a conflict looks for a deployment of the same version: concurrent deliveries of
# one upload start within seconds of each other, a handful of deployments at most.
_CONFLICT_LOOKBACK = 10


@dataclass(frozen=True)
class Target:
    bucket: str
    key: str
    profile_id: str


class Rollout:
    def __init__(
        self,
        target: Target,
        objects: ObjectVersions,
        deployments: Deployments,
        *,
        sleep: Callable[[float], None],
        validation_wait_seconds: float = 20.0,
        before_stop: Callable[[str, int, str], None] = lambda version, number, reason: None,
    ) -> None:
        self._target = target
        self._objects = objects
        self._deployments = deployments
        self._sleep = sleep
        # Called with (version, deployment number, why) before a deployment is stopped because a
        # newer upload won, so the version is marked superseded before AppConfig reports the stop.
        self._before_stop = before_stop
        # AppConfig gives a Lambda validator 15 s; a deployment still VALIDATING after this
        # long is reported as deployed and AppConfig finishes it.
        self._validation_wait = validation_wait_seconds

    def decide(self, upload: Upload) -> Result:
        if not upload.is_object_created:
            return Result(Outcome.IGNORED, f"{upload.event_name} is not an upload")
        if (upload.bucket, upload.key) != (self._target.bucket, self._target.key):
            return Result(
                Outcome.IGNORED,
                f"s3://{upload.bucket}/{upload.key} is not the configuration object "
                f"s3://{self._target.bucket}/{self._target.key}",
            )
        if upload.version_id is None:
            return Result(
                Outcome.UNVERSIONED,
                f"the event for s3://{upload.bucket}/{upload.key} has no versionId: versioning is not "
                "enabled on the bucket, and AppConfig deploys S3 configurations by object version",
            )
        return self.decide_version(upload.version_id, upload.event_time)

    def decide_version(self, version: str, uploaded_at: datetime | None = None) -> Result:
        """Deploy ``version`` in the stage unless a newer one is due there or it already has a deployment."""
        superseded = self._superseded(version)
        if superseded:
            return superseded
        earlier, latest = self._earlier_deployment(version, uploaded_at)
        if earlier:
            return Result(
                Outcome.DUPLICATE,
                f"version already has deployment {earlier.number} ({earlier.state})",
                earlier.number,
            )
        return self._start(version, latest)

    def _superseded(self, version: str) -> Result | None:
        newest = self._objects.newest_version(self._target.bucket, self._target.key)
        if newest == version:
            return None
        details = {"newerVersion": newest} if newest is not None else {}
        return Result(Outcome.SUPERSEDED, self._objects.superseded(newest), details=details)

    def _earlier_deployment(
        self, version: str, uploaded_at: datetime | None
    ) -> tuple[Deployment | None, int | None]:
        """A deployment of this version, if any, and the newest deployment number seen."""
        # Deployments are listed newest first, and none of this version can predate its upload.
        horizon = uploaded_at - _SKEW if uploaded_at else None
        latest: int | None = None
        for deployment in self._deployments.history():
            latest = deployment.number if latest is None else latest
            if deployment.version == version:
                return deployment, latest
            if horizon and deployment.started_at and deployment.started_at < horizon:
                break
        return None, latest

    def _start(self, version: str, latest: int | None) -> Result:
        for _ in range(_MAX_STARTS):
            try:
                started = self._deployments.start(version, f"S3 upload {version}", latest=latest)
            except ConfigurationRefused as refused:
                return Result(Outcome.REJECTED, refused.reason)
            except DeploymentConflict:
                blocked, latest = self._resolve_conflict(version)
                if blocked:
                    return blocked
                continue
            return self._after_start(version, started)
        raise EnvironmentBusy(f"environment still busy after {_MAX_STARTS} attempts to deploy {version}")

    def _resolve_conflict(self, version: str) -> tuple[Result | None, int | None]:
        """Free the environment for the newest version, or return the outcome that ends the record.

        Also returns the newest deployment number now, for the next start's guard."""
        history = list(itertools.islice(self._deployments.history(), _CONFLICT_LOOKBACK))
        latest = history[0].number if history else None
        if any(d.version == version for d in history):
            twin = next(d for d in history if d.version == version)
            return Result(
                Outcome.DUPLICATE,
                f"deployment {twin.number} of this version exists ({twin.state})",
                twin.number,
            ), latest
        active = next((d for d in history if d.in_progress), None)
        if active is None:
            return None, latest  # it finished meanwhile: try again
        blocking = self._deployments.get(active.number)
        if blocking.profile_id != self._target.profile_id:
            if blocking.state == "VALIDATING":
                # Its validators take 15 s at most: wait here, then it is rolling out (or done).
                self._await_validation(blocking)
                return None, latest
            seconds = hold_seconds(blocking)
            name = blocking.configuration_name or "another configuration"
            return Result(
                Outcome.WAITING,
                f"deployment {blocking.number} of {name} is in progress in the stage "
                f"({blocking.state.lower()}); waiting about {seconds} s for it",
                details={"holdSeconds": str(seconds), "blockingDeployment": str(blocking.number)},
            ), latest
        # Only the newest version may stop another: look again, a newer upload may have landed.
        superseded = self._superseded(version)
        if superseded:
            return superseded, latest
        if active.state == "VALIDATING":
            # AppConfig cannot stop a deployment while its validators run; they take 15 s at most.
            self._await_validation(active)
        else:
            self._before_stop(active.version, active.number, f"stopped: the newer version {version} won")
            self._deployments.stop(active.number, allow_revert=active.state == "BAKING")
        return None, latest

    def _after_start(self, version: str, started: Deployment) -> Result:
        deployment = self._await_validation(started)
        if deployment.state in ("ROLLED_BACK", "REVERTED"):
            return Result(Outcome.REJECTED, deployment.last_event or "validation failed", deployment.number)
        superseded = self._superseded(version)
        if superseded:
            # A newer upload landed while we started: never leave an older version in service.
            self._before_stop(version, deployment.number, superseded.reason + "; this deployment was stopped")
            self._deployments.stop(deployment.number, allow_revert=True)
            return Result(
                superseded.outcome,
                superseded.reason + "; this deployment was stopped",
                deployment.number,
                superseded.details,
            )
        twin = self._twin(deployment)
        if twin:
            # A concurrent delivery of the same version started (and, with a fast strategy,
            # finished) between our look at the history and our start: keep the first one.
            self._deployments.stop(deployment.number, allow_revert=True)
            return Result(
                Outcome.DUPLICATE,
                f"deployment {twin.number} of this version came first; "
                f"deployment {deployment.number} was stopped",
                twin.number,
            )
        return Result(Outcome.DEPLOYED, f"deployment {deployment.number} started", deployment.number)

    def _twin(self, ours: Deployment) -> Deployment | None:
        """An earlier deployment of the same version, started after our look at the history."""
        for deployment in self._deployments.history():
            if deployment.number < ours.number and deployment.version == ours.version:
                return deployment
            if deployment.started_at and ours.started_at and deployment.started_at < ours.started_at - _SKEW:
                return None
        return None

    def _await_validation(self, deployment: Deployment) -> Deployment:
        # Polls grow from a tenth of a second: a validator answers in well under a second.
        waited, interval = 0.0, 0.1
        while deployment.state == "VALIDATING" and waited < self._validation_wait:
            self._sleep(interval)
            waited += interval
            interval = min(interval * 1.5, 1.0)
            deployment = self._deployments.get(deployment.number)
        return deployment
