"""AppConfig's deployment events -> ``deployed`` / ``rolled-back``. Pure.

AWS's ``AWS.AppConfig.DeploymentNotificationsToEventBridge`` extension puts an event on the
default bus when a deployment starts, completes and rolls back
(https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-eventbridge.html):
``source`` ``aws.appconfig``, ``detail`` with ``Application``, ``Environment``,
``ConfigurationProfile`` (each ``{Id, Name}``), ``DeploymentNumber`` and ``ConfigurationVersion``.
The event says which deployment; GetDeployment says what became of it: its ``State`` (events
arrive late, twice and out of order, the deployment's state is the truth), and its
``EventLog``, whose rollback entry is ``TriggeredBy`` ``CLOUDWATCH_ALARM`` with the alarm's ARN
in its ``Description`` ("the Amazon CloudWatch alarm ARN that initiated a rollback",
https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_DeploymentEvent.html), or
``USER`` when someone stopped it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollout_status.model import Change, Status

if TYPE_CHECKING:
    from collections.abc import Callable

    from rollout_status.layout import Layout
    from rollout_status.model import EnvironmentStatus

BY = "status-function"
WRITES = frozenset({Status.DEPLOYING, Status.DEPLOYED, Status.ROLLED_BACK})
_ALARM_ARN = re.compile(r"arn:aws[a-z-]*:cloudwatch:[^:\s]*:\d*:alarm:([^\s,;]+)")
_ALARM_NAMED = re.compile(r"\balarm:?\s+([A-Za-z0-9_.\-/#:]+)")


@dataclass(frozen=True)
class DeploymentRef:
    application_id: str
    environment_id: str
    deployment_number: int


@dataclass(frozen=True)
class StageEnvironment:
    """Where a change applies: the stage's name (the record's key) and its AppConfig IDs."""

    name: str
    application_id: str
    environment_id: str


def deployment_of(event: dict[str, Any], layout: Layout) -> DeploymentRef | None:
    """Which of this stack's deployments the event is about, or None for anyone else's."""
    detail = event.get("detail")
    if event.get("source") != "aws.appconfig" or not isinstance(detail, dict):
        return None
    application = _id(detail.get("Application")) or detail.get("ApplicationId")
    environment = _id(detail.get("Environment")) or detail.get("EnvironmentId")
    profile = _id(detail.get("ConfigurationProfile")) or detail.get("ConfigurationProfileId")
    number = detail.get("DeploymentNumber")
    if application != layout.application_id or layout.stage_of_environment(str(environment)) is None:
        return None
    if profile is not None and layout.configuration_of_profile(str(profile)) is None:
        return None  # a configuration of someone else's deployed to one of the stages
    if not isinstance(number, (int, str)) or not str(number).isdigit():
        return None
    return DeploymentRef(str(application), str(environment), int(number))


def change_for(
    deployment: dict[str, Any], stage: StageEnvironment, current: Callable[[], EnvironmentStatus | None]
) -> Change | None:
    """The status GetDeployment's answer gives the version in its stage, or None when it says
    nothing new.

    ``current`` reads the version's status in this environment, for one case: a stop by a user
    (``TriggeredBy: USER``) of a deployment the record does not know is the deploy function
    stopping a second deployment of the same version (kept out of the record on purpose). It is
    called for that case only: AppConfig's first events of a deployment often come before the
    deploy function has written the version's record, and reading a record not written yet is a
    403 to a function that may not list the bucket (GetObject, "Permissions"), which would fail
    the event and wait for Lambda's retry, a minute on AWS."""
    number = int(deployment["DeploymentNumber"])
    state = str(deployment.get("State", ""))
    common = {
        "environment": stage.name,
        "deployment_number": number,
        "application_id": stage.application_id,
        "environment_id": stage.environment_id,
        "by": BY,
    }
    if state == "COMPLETE":
        return Change(status=Status.DEPLOYED, reason=f"deployment {number} completed", **common)  # type: ignore[arg-type]
    if state in ("ROLLED_BACK", "REVERTED"):
        triggered_by, description = _rollback_cause(deployment.get("EventLog") or [])
        alarm = _alarm_name(description) if triggered_by == "CLOUDWATCH_ALARM" else None
        if triggered_by == "USER":
            known = current()
            if known is None or known.deployment_number != number:
                return None
        if alarm:
            reason = f"deployment {number} rolled back by alarm {alarm}"
        elif triggered_by == "USER":
            reason = f"deployment {number} was stopped by a user ({state.lower().replace('_', ' ')})"
        else:
            reason = f"deployment {number} rolled back: {description or triggered_by or 'no reason given'}"
        return Change(status=Status.ROLLED_BACK, reason=reason, alarm=alarm, **common)  # type: ignore[arg-type]
    if state in ("VALIDATING", "DEPLOYING", "BAKING"):
        percentage = deployment.get("PercentageComplete")
        done = f", {percentage:g}% of targets" if isinstance(percentage, (int, float)) else ""
        return Change(status=Status.DEPLOYING, reason=f"deployment {number} {state.lower()}{done}", **common)  # type: ignore[arg-type]
    return None  # ROLLING_BACK: the rollback's own event follows


def _id(value: Any) -> str | None:
    return str(value["Id"]) if isinstance(value, dict) and value.get("Id") else None


def _rollback_cause(log: list[dict[str, Any]]) -> tuple[str, str]:
    """Who triggered the rollback and how AppConfig described it (the log is newest first)."""
    kinds = ("ROLLBACK_STARTED", "ROLLBACK_COMPLETED", "REVERT_COMPLETED")
    for entry in reversed(log):  # the first rollback entry carries the cause
        if entry.get("EventType") in kinds:
            return str(entry.get("TriggeredBy", "")), str(entry.get("Description", ""))
    return "", ""


def _alarm_name(description: str) -> str | None:
    arn = _ALARM_ARN.search(description)
    if arn:
        return arn.group(1)
    named = _ALARM_NAMED.search(description)
    return named.group(1) if named else (description or None)
