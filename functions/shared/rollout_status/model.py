"""The record of one version and the rule that decides which reported changes apply. Pure.

Several writers report statuses, in any order and more than once (S3, EventBridge and Lambda
all deliver at least once): the deploy function, the status function (AppConfig's deployment
events, the failure destination) and replays from the failure queue. ``Record.apply`` makes
their combined effect independent of order and repetition:

* a change already recorded (same environment, status and deployment) changes nothing;
* once a version has a deployment in an environment, only news about that deployment or a
  newer one of the same version moves it on, and only forward:
  ``deploying -> deployed | rolled-back | superseded | rejected`` and ``deployed -> superseded``
  (the deploy function reverted it because a newer upload landed while it started);
  ``superseded``, ``rejected`` and ``rolled-back`` of a deployment are final;
* a change that names no deployment (superseded before starting, refused by the validator,
  failed after the queue's retries, waiting for its stage) applies only to a version with no
  status yet, ``pending`` or ``failed``;
* ``failed`` gives way to anything: a replay from the failure queue may deploy the version;
  so does ``pending``, which is what a version is while it waits to enter a stage.

Statuses are kept per AppConfig environment, one per stage of the promotion; ``status`` of the
record summarises them (the newest change).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1
MAX_REASON = 1000
"""Characters of a reason kept: enough for a sentence and an error message, never a file."""


class Status(StrEnum):
    PENDING = "pending"
    """Waiting to enter the stage: queued behind another configuration's deployment, promoted
    from the stage before and queued, or waiting for ``rollout promote`` (manual approval)."""
    DEPLOYING = "deploying"
    """AppConfig accepted the deployment; it is rolling out (or baking)."""
    DEPLOYED = "deployed"
    """AppConfig reported the deployment COMPLETE: rolled out and baked with no alarm."""
    ROLLED_BACK = "rolled-back"
    """The deployment was rolled back: an alarm fired, or someone stopped it."""
    SUPERSEDED = "superseded"
    """A newer upload won: never deployed, or its deployment was stopped for the newer one."""
    REJECTED = "rejected"
    """The validator (or AppConfig) refused the version; ``problems`` says why."""
    FAILED = "failed"
    """The queue's retries ran out; the request waits on the failure queue for a replay."""

    @property
    def final(self) -> bool:
        """Whether a person or CI waiting on this version in this stage can stop waiting."""
        return self not in (Status.DEPLOYING, Status.PENDING)

    @property
    def stops_promotion(self) -> bool:
        """A version that ends a stage so never reaches the later ones."""
        return self.final and self is not Status.DEPLOYED

    @property
    def metric_name(self) -> str:
        """The EMF metric counted for each change to this status (``StatusRolledBack`` ...)."""
        return "Status" + "".join(part.capitalize() for part in self.value.split("-"))


# Same deployment number: which statuses may follow which.
_FORWARD: dict[Status, frozenset[Status]] = {
    Status.DEPLOYING: frozenset({Status.DEPLOYED, Status.ROLLED_BACK, Status.SUPERSEDED, Status.REJECTED}),
    Status.DEPLOYED: frozenset({Status.SUPERSEDED}),
}


@dataclass(frozen=True)
class Problem:
    """One problem the validator found: where in the file and what."""

    path: str
    line: int
    column: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column, "message": self.message}

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> Problem:
        return cls(str(item.get("path", "$")), int(item.get("line", 1)), int(item.get("column", 1)),
                   str(item.get("message", "")))  # fmt: skip

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.path}: {self.message}"


@dataclass(frozen=True)
class Change:
    """What one writer reports about one version in one environment."""

    environment: str
    status: Status
    reason: str
    deployment_number: int | None = None
    problems: tuple[Problem, ...] = ()
    alarm: str | None = None
    """The alarm that rolled the deployment back, when one did."""
    application_id: str | None = None
    environment_id: str | None = None
    by: str = ""
    """Which component reported it (``deploy-function``, ``status-function`` ...)."""


@dataclass(frozen=True)
class Uploader:
    """Who uploaded the version and when, as the upload's event tells."""

    principal: str | None = None
    uploaded_at: str | None = None


@dataclass(frozen=True)
class EnvironmentStatus:
    status: Status
    deployment_number: int | None
    reason: str
    updated_at: str
    alarm: str | None = None
    application_id: str | None = None
    environment_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "deploymentNumber": self.deployment_number,
            "reason": self.reason,
            "updatedAt": self.updated_at,
            "alarm": self.alarm,
            "applicationId": self.application_id,
            "environmentId": self.environment_id,
        }

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> EnvironmentStatus:
        return cls(
            status=Status(item["status"]),
            deployment_number=_int_or_none(item.get("deploymentNumber")),
            reason=str(item.get("reason", "")),
            updated_at=str(item.get("updatedAt", "")),
            alarm=item.get("alarm"),
            application_id=item.get("applicationId"),
            environment_id=item.get("environmentId"),
        )


@dataclass(frozen=True)
class Entry:
    """One change in the history: what became of the version, where and when."""

    at: str
    environment: str
    status: Status
    deployment_number: int | None
    reason: str
    by: str
    announced: bool = False
    """Whether its EventBridge event has been put (see ``store``)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "environment": self.environment,
            "status": self.status.value,
            "deploymentNumber": self.deployment_number,
            "reason": self.reason,
            "by": self.by,
            "announced": self.announced,
        }

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> Entry:
        return cls(
            at=str(item["at"]),
            environment=str(item["environment"]),
            status=Status(item["status"]),
            deployment_number=_int_or_none(item.get("deploymentNumber")),
            reason=str(item.get("reason", "")),
            by=str(item.get("by", "")),
            announced=bool(item.get("announced", False)),
        )


@dataclass(frozen=True)
class Record:
    """Everything known about one version of the configuration object."""

    bucket: str
    key: str
    version_id: str
    environments: dict[str, EnvironmentStatus] = field(default_factory=dict)
    history: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()
    uploader: Uploader = field(default_factory=Uploader)
    revision: int = 0

    @property
    def latest(self) -> Entry | None:
        return self.history[-1] if self.history else None

    @property
    def status(self) -> Status | None:
        """The summary across environments: the newest change's environment's status."""
        latest = self.latest
        return self.environments[latest.environment].status if latest else None

    @property
    def deployment_number(self) -> int | None:
        latest = self.latest
        return self.environments[latest.environment].deployment_number if latest else None

    @property
    def pending(self) -> tuple[int, ...]:
        """Indexes of the history entries whose events have not been put yet."""
        return tuple(i for i, entry in enumerate(self.history) if not entry.announced)

    def admits(self, change: Change) -> bool:
        return admits(self.environments.get(change.environment), change)

    def apply(self, change: Change, *, now: datetime, uploader: Uploader | None = None) -> Record | None:
        """The record with ``change`` applied, or None when the change is not news (see module doc)."""
        if not self.admits(change):
            return None
        at = _timestamp(now)
        reason = change.reason[:MAX_REASON]
        environments = dict(self.environments)
        environments[change.environment] = EnvironmentStatus(
            status=change.status,
            deployment_number=change.deployment_number,
            reason=reason,
            updated_at=at,
            alarm=change.alarm,
            application_id=change.application_id or _known(self, change, "application_id"),
            environment_id=change.environment_id or _known(self, change, "environment_id"),
        )
        entry = Entry(at, change.environment, change.status, change.deployment_number, reason, change.by)
        return replace(
            self,
            environments=environments,
            history=(*self.history, entry),
            problems=change.problems or self.problems,
            uploader=_merge_uploader(self.uploader, uploader),
            revision=self.revision + 1,
        )

    def with_uploader(self, uploader: Uploader | None) -> Record | None:
        """The record with what it did not know about the upload filled in, or None."""
        merged = _merge_uploader(self.uploader, uploader)
        if merged == self.uploader:
            return None
        return replace(self, uploader=merged, revision=self.revision + 1)

    def mark_announced(self, indexes: tuple[int, ...]) -> Record:
        """The record with those history entries marked as announced (the history only grows)."""
        history = tuple(replace(e, announced=True) if i in indexes else e for i, e in enumerate(self.history))
        return replace(self, history=history, revision=self.revision + 1)

    # ------------------------------------------------------------------ JSON
    def as_dict(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "bucket": self.bucket,
            "key": self.key,
            "versionId": self.version_id,
            "status": self.status.value if self.status else None,
            "deploymentNumber": self.deployment_number,
            "uploader": self.uploader.principal,
            "uploadedAt": self.uploader.uploaded_at,
            "environments": {name: env.as_dict() for name, env in self.environments.items()},
            "problems": [p.as_dict() for p in self.problems],
            "history": [e.as_dict() for e in self.history],
            "revision": self.revision,
        }

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> Record:
        version = item.get("schemaVersion")
        if version != SCHEMA_VERSION:
            raise ValueError(f"unknown status record schema version {version!r}")
        return cls(
            bucket=str(item["bucket"]),
            key=str(item["key"]),
            version_id=str(item["versionId"]),
            environments={
                str(name): EnvironmentStatus.from_dict(env)
                for name, env in item.get("environments", {}).items()
            },
            history=tuple(Entry.from_dict(e) for e in item.get("history", [])),
            problems=tuple(Problem.from_dict(p) for p in item.get("problems", [])),
            uploader=Uploader(item.get("uploader"), item.get("uploadedAt")),
            revision=int(item.get("revision", 0)),
        )


def admits(current: EnvironmentStatus | None, change: Change) -> bool:
    """Whether ``change`` is news for an environment whose status is ``current``."""
    if current is None:
        return True
    if (current.status, current.deployment_number) == (change.status, change.deployment_number):
        return False
    if current.status in (Status.FAILED, Status.PENDING):
        return True
    new, old = change.deployment_number, current.deployment_number
    if new is None:
        return False
    if old is None or new > old:
        return True
    return new == old and change.status in _FORWARD.get(current.status, frozenset())


def event_detail(record: Record, entry: Entry) -> dict[str, Any]:
    """The ``detail`` of the ``Rollout Status Changed`` event for one history entry."""
    return {
        "bucket": record.bucket,
        "key": record.key,
        "versionId": record.version_id,
        "environment": entry.environment,
        "status": entry.status.value,
        "deploymentNumber": entry.deployment_number,
        "reason": entry.reason,
        "problems": [p.as_dict() for p in record.problems] if entry.status is Status.REJECTED else [],
    }


def _timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _known(record: Record, change: Change, attribute: str) -> str | None:
    current = record.environments.get(change.environment)
    return getattr(current, attribute) if current else None


def _merge_uploader(known: Uploader, new: Uploader | None) -> Uploader:
    if new is None:
        return known
    return Uploader(known.principal or new.principal, known.uploaded_at or new.uploaded_at)
