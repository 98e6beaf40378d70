"""A deployment's life: DEPLOYING -> BAKING -> COMPLETE, or ROLLED_BACK / REVERTED.

State is a function of service time: ``advance(now)`` replays every step whose time has come,
stamping each event-log entry with the time it happened (not the time someone looked), so a
``ManualClock`` jump of an hour yields the same log as an hour of waiting. Alarm monitors are
consulted on every advance while the deployment is DEPLOYING or BAKING
(https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying-reverting.html).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from localcloud.appconfig.strategies import steps

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.appconfig.extensions import Applied

IN_PROGRESS = frozenset({"VALIDATING", "DEPLOYING", "BAKING", "ROLLING_BACK"})
REVERT_WINDOW = timedelta(hours=72)


@dataclass(frozen=True)
class Content:
    """One configuration version as AppConfig cached it at StartDeployment."""

    data: bytes
    content_type: str
    version: str
    version_label: str | None = None


@dataclass
class Deployment:
    application_id: str
    environment_id: str
    number: int
    profile: dict[str, Any]
    strategy: dict[str, Any]
    content: Content
    started_at: datetime
    description: str | None = None
    kms_key_identifier: str | None = None
    kms_key_arn: str | None = None
    subject: dict[str, Any] = field(default_factory=dict)
    """What notifications name: the application, environment and profile (Id and Name), the numbers."""
    applied: list[Applied] = field(default_factory=list)
    """The extension associations in effect, fixed when the deployment starts."""
    observer: Callable[[Deployment, dict[str, Any]], None] | None = None
    """Told of each event-log entry as it is written (the extensions' action points)."""
    state: str = "VALIDATING"
    percentage: float = 0.0
    completed_at: datetime | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    """Oldest first here; served newest first, as AppConfig does."""
    _next_step: int = 0

    # ---------------------------------------------------------------- the state machine
    def begin(self, at: datetime) -> None:
        """Validation passed: the rollout starts now."""
        self.state = "DEPLOYING"
        self.started_at = at
        self._event("DEPLOYMENT_STARTED", "USER", "Deployment started", at)

    @property
    def in_progress(self) -> bool:
        return self.state in IN_PROGRESS

    def advance(self, now: datetime, alarm: Callable[[], str | None]) -> None:
        """Apply every step due by ``now``. ``alarm()`` names a monitor in ALARM, if any."""
        if self.state not in ("DEPLOYING", "BAKING"):
            return
        schedule = steps(
            self.strategy["GrowthType"],
            float(self.strategy["GrowthFactor"]),
            int(self.strategy["DeploymentDurationInMinutes"]),
        )
        bake = timedelta(minutes=int(self.strategy.get("FinalBakeTimeInMinutes") or 0))
        # The alarm is read now, and so acts before steps that fall due by now are applied.
        alarm_name = alarm()
        if alarm_name:
            self.roll_back(now, "CLOUDWATCH_ALARM", f"Rollback initiated by alarm {alarm_name}")
            return
        while self._next_step < len(schedule):
            offset, percentage = schedule[self._next_step]
            at = self.started_at + timedelta(seconds=offset)
            if at > now:
                return
            self.percentage = percentage
            self._next_step += 1
            self._event("PERCENTAGE_UPDATED", "APPCONFIG", f"Deployed to {percentage:g}% of targets", at)
        rollout_end = self.started_at + timedelta(seconds=schedule[-1][0])
        if self.state == "DEPLOYING":
            self.state = "BAKING"
            self._event(
                "BAKE_TIME_STARTED",
                "APPCONFIG",
                f"Deployment bake time started ({bake.total_seconds() / 60:g} minutes)",
                rollout_end,
            )
        if rollout_end + bake <= now:
            self.state = "COMPLETE"
            self.completed_at = rollout_end + bake
            self._event("DEPLOYMENT_COMPLETED", "APPCONFIG", "Deployment completed", self.completed_at)

    def roll_back(self, at: datetime, triggered_by: str, reason: str) -> None:
        self._event("ROLLBACK_STARTED", triggered_by, reason, at)
        self.state = "ROLLED_BACK"
        self.completed_at = at
        self._event("ROLLBACK_COMPLETED", triggered_by, "Rollback completed", at)

    def revert(self, at: datetime) -> None:
        self.state = "REVERTED"
        self._event("REVERT_COMPLETED", "USER", "Configuration reverted to the previous version", at)

    def serves(self, client: str) -> bool:
        """Whether a client (a data-plane session) already receives this deployment's content.

        During the rollout each client lands in a fixed bucket of 0-99; buckets below the
        deployment's percentage have the new content, the others keep the previous one.
        """
        if self.state in ("BAKING", "COMPLETE"):
            return True
        if self.state != "DEPLOYING":
            return False
        bucket = int.from_bytes(hashlib.sha256(f"{client}:{self.number}".encode()).digest()[:4]) % 100
        return bucket < self.percentage

    # ---------------------------------------------------------------- the wire shapes
    def describe(self) -> dict[str, Any]:
        strategy = self.strategy
        out: dict[str, Any] = {
            "ApplicationId": self.application_id,
            "EnvironmentId": self.environment_id,
            "DeploymentStrategyId": strategy["Id"],
            "ConfigurationProfileId": self.profile["Id"],
            "DeploymentNumber": self.number,
            "ConfigurationName": self.profile["Name"],
            "ConfigurationLocationUri": self.profile["LocationUri"],
            "ConfigurationVersion": self.content.version,
            "Description": self.description,
            "DeploymentDurationInMinutes": strategy["DeploymentDurationInMinutes"],
            "GrowthType": strategy["GrowthType"],
            "GrowthFactor": float(strategy["GrowthFactor"]),
            "FinalBakeTimeInMinutes": strategy.get("FinalBakeTimeInMinutes", 0),
            "State": self.state,
            "EventLog": [_copied(e) for e in reversed(self.events)],
            "PercentageComplete": self.percentage,
            "StartedAt": self.started_at,
            "CompletedAt": self.completed_at,
            "AppliedExtensions": [
                {
                    "ExtensionId": a.extension.id,
                    "ExtensionAssociationId": a.association["Id"],
                    "VersionNumber": a.extension.version,
                    "Parameters": dict(a.association["Parameters"]),
                }
                for a in self.applied
            ],
            "KmsKeyArn": self.kms_key_arn,
            "KmsKeyIdentifier": self.kms_key_identifier,
            "VersionLabel": self.content.version_label,
        }
        return out

    def summary(self) -> dict[str, Any]:
        full = self.describe()
        keys = (
            "DeploymentNumber",
            "ConfigurationName",
            "ConfigurationVersion",
            "DeploymentDurationInMinutes",
            "GrowthType",
            "GrowthFactor",
            "FinalBakeTimeInMinutes",
            "State",
            "PercentageComplete",
            "StartedAt",
            "CompletedAt",
            "VersionLabel",
        )
        return {k: full[k] for k in keys}

    def _event(self, kind: str, by: str, description: str, at: datetime) -> None:
        entry = {"EventType": kind, "TriggeredBy": by, "Description": description, "OccurredAt": at}
        self.events.append(entry)
        if self.observer is not None:
            self.observer(self, entry)


def _copied(entry: dict[str, Any]) -> dict[str, Any]:
    """An event-log entry as served: its invocations may still gain an error after delivery."""
    if "ActionInvocations" not in entry:
        return dict(entry)
    return {**entry, "ActionInvocations": [dict(i) for i in entry["ActionInvocations"]]}
