"""The AWS calls of the deploy path behind two small interfaces, so the decision logic in
``rollout`` can be read, and tested, without AWS."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from deployer.errors import ConfigurationRefused, DeploymentConflict

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_s3 import S3Client

IN_PROGRESS = frozenset({"VALIDATING", "DEPLOYING", "BAKING", "ROLLING_BACK"})


@dataclass(frozen=True)
class Deployment:
    number: int
    version: str
    state: str
    started_at: datetime | None = None
    profile_id: str | None = None
    """Known from GetDeployment/StartDeployment; ListDeployments' summaries do not carry it."""
    last_event: str = ""
    """Description of the newest event-log entry (AppConfig keeps the log newest first)."""
    configuration_name: str | None = None
    """The profile's name: ListDeployments' summaries carry it (not the profile's ID)."""
    duration_minutes: float = 0.0
    bake_minutes: float = 0.0
    bake_started_at: datetime | None = None
    """When BAKE_TIME_STARTED happened, once it has."""
    observed_at: datetime | None = None
    """AppConfig's own time when it answered (the response's ``Date``): what remaining time is
    measured against, whoever's clock the function runs on."""

    @property
    def in_progress(self) -> bool:
        return self.state in IN_PROGRESS


class ObjectVersions(Protocol):
    def newest_version(self, bucket: str, key: str) -> str | None:
        """The version that may be deployed now (the object's current one for a stage's uploads),
        or None when there is none."""
        ...

    def superseded(self, newest: str | None) -> str:
        """Why a version that is not ``newest`` must not be deployed."""
        ...


class Deployments(Protocol):
    def history(self) -> Iterator[Deployment]:
        """The environment's deployments, newest first."""
        ...

    def get(self, number: int) -> Deployment: ...

    def start(self, version: str, description: str, *, latest: int | None) -> Deployment:
        """Raises DeploymentConflict or ConfigurationRefused; anything else is transient.

        ``latest``: the newest deployment number seen; AppConfig refuses the start (conflict)
        if another deployment began since, so two deliveries cannot both start one."""
        ...

    def stop(self, number: int, *, allow_revert: bool) -> bool:
        """True when AppConfig stopped it; False when it was no longer stoppable."""
        ...


class S3ObjectVersions:
    """What the first stage deploys: the object's current version."""

    def __init__(self, client: S3Client) -> None:
        self._s3 = client

    def superseded(self, newest: str | None) -> str:
        return (
            f"a newer version {newest} exists" if newest else "the object has been deleted since this upload"
        )

    def newest_version(self, bucket: str, key: str) -> str | None:
        try:
            head = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            # 404 covers both a deleted object and a delete marker as the current version.
            if status == 404 or (status == 403 and not self._listed(bucket, key, error)):
                return None
            raise
        return head.get("VersionId")

    def _listed(self, bucket: str, key: str, forbidden: ClientError) -> bool:
        """After a 403: is the key there? S3 answers a missing key with 403 to a caller without
        s3:ListBucket (HeadObject, "Permissions"), so listing exactly this key tells a deleted
        object (gone: superseded) from a real refusal (raised, so the upload is retried)."""
        try:
            listed = self._s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        except ClientError:
            raise forbidden from None
        if any(item.get("Key") == key for item in listed.get("Contents", [])):
            raise forbidden  # it exists, yet HeadObject was refused: a permission problem
        return False


class AppConfigDeployments:
    """One environment's deployments of one configuration profile."""

    def __init__(
        self,
        client: AppConfigClient,
        *,
        application_id: str,
        environment_id: str,
        profile_id: str,
        strategy_id: str,
        kms_key_identifier: str | None = None,
    ) -> None:
        self._appconfig = client
        self._app = application_id
        self._env = environment_id
        self._profile = profile_id
        self._strategy = strategy_id
        # AppConfig requires a customer managed key for S3 objects encrypted with one
        # (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying.html).
        self._kms: dict[str, Any] = {"KmsKeyIdentifier": kms_key_identifier} if kms_key_identifier else {}
        # StartDeployment's LatestDeploymentNumber is newer than some Lambda runtimes' botocore.
        shape = client.meta.service_model.operation_model("StartDeployment").input_shape
        self._has_latest_guard = shape is not None and "LatestDeploymentNumber" in shape.members

    def history(self) -> Iterator[Deployment]:
        paginator = self._appconfig.get_paginator("list_deployments")
        for page in paginator.paginate(ApplicationId=self._app, EnvironmentId=self._env):
            for item in page.get("Items", []):
                yield _deployment(item)

    def get(self, number: int) -> Deployment:
        response = self._appconfig.get_deployment(
            ApplicationId=self._app, EnvironmentId=self._env, DeploymentNumber=number
        )
        return _deployment(response)

    def start(self, version: str, description: str, *, latest: int | None) -> Deployment:
        guard: dict[str, Any] = {}
        if latest is not None and self._has_latest_guard:
            guard["LatestDeploymentNumber"] = latest
        try:
            response = self._appconfig.start_deployment(
                ApplicationId=self._app,
                EnvironmentId=self._env,
                DeploymentStrategyId=self._strategy,
                ConfigurationProfileId=self._profile,
                ConfigurationVersion=version,
                Description=description[:1024],
                **guard,
                **self._kms,
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ConflictException":
                raise DeploymentConflict(_message(error.response)) from error
            if code in _REFUSALS:
                raise ConfigurationRefused(refusal_reason(error.response)) from error
            raise
        return _deployment(response)

    def stop(self, number: int, *, allow_revert: bool) -> bool:
        try:
            self._appconfig.stop_deployment(
                ApplicationId=self._app,
                EnvironmentId=self._env,
                DeploymentNumber=number,
                AllowRevert=allow_revert,
            )
        except ClientError as error:
            # It ended between our look and our stop: nothing left to stop.
            if error.response.get("Error", {}).get("Code") == "BadRequestException":
                return False
            raise
        return True


# What StartDeployment answers when the version itself can never deploy: a validator's (or
# AppConfig's) refusal, and an S3 object over AppConfig's 1 MB limit for S3 configurations
# (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-S3-source.html).
# StartDeployment's model lists BadRequestException only; PayloadTooLargeException is AppConfig's
# own error for oversized content, and a retry of either could never succeed.
_REFUSALS = ("BadRequestException", "PayloadTooLargeException")


def refusal_reason(response: Any) -> str:
    """AppConfig's refusal as one line: the message, then each InvalidConfiguration detail."""
    message = _message(response)
    parts = [message]
    details = response.get("Details") or {}
    for item in details.get("InvalidConfiguration") or []:
        where = item.get("Location")
        text = item.get("Reason") or item.get("Value") or ""
        if text and text not in message:  # AppConfig may repeat the validator's error in both
            parts.append(f"{where}: {text}" if where else text)
    return "; ".join(part for part in parts if part)


def _message(response: Any) -> str:
    error = response.get("Error", {})
    return str(error.get("Message") or response.get("Message") or error.get("Code") or "")


def _deployment(item: Any) -> Deployment:
    events = item.get("EventLog") or []
    bake = next((e.get("OccurredAt") for e in events if e.get("EventType") == "BAKE_TIME_STARTED"), None)
    return Deployment(
        number=int(item["DeploymentNumber"]),
        version=str(item.get("ConfigurationVersion", "")),
        state=str(item.get("State", "")),
        started_at=item.get("StartedAt"),
        profile_id=item.get("ConfigurationProfileId"),
        last_event=str(events[0].get("Description", "")) if events else "",
        configuration_name=item.get("ConfigurationName"),
        duration_minutes=float(item.get("DeploymentDurationInMinutes") or 0),
        bake_minutes=float(item.get("FinalBakeTimeInMinutes") or 0),
        bake_started_at=bake,
        observed_at=_answered_at(item),
    )


def _answered_at(response: Any) -> datetime:
    """The ``Date`` of the response (HTTP's own header), or now when there is none."""
    header = ((response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}).get("date")
    if header:
        try:
            return email.utils.parsedate_to_datetime(str(header))
        except (TypeError, ValueError):
            pass
    return datetime.now(UTC)


class InServiceVersions:
    """What a later stage deploys: the version of the configuration in service in the stage
    before it, i.e. its newest COMPLETE deployment there (a newer one still rolling out, or
    rolled back, leaves that one in service; a REVERTED one is no longer in service)."""

    def __init__(self, previous: AppConfigDeployments, configuration_name: str, stage_name: str) -> None:
        self._previous = previous
        self._name = configuration_name
        self._stage = stage_name

    def newest_version(self, bucket: str, key: str) -> str | None:
        for deployment in self._previous.history():
            if deployment.configuration_name == self._name and deployment.state == "COMPLETE":
                return deployment.version
        return None

    def superseded(self, newest: str | None) -> str:
        if newest is None:
            return f"no version of {self._name} is in service in {self._stage}"
        return f"version {newest} is in service in {self._stage} now"
