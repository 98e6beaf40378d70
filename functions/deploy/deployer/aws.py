"""The AWS calls of the deploy path behind two small interfaces, so the decision logic in
``rollout`` can be read, and tested, without AWS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from deployer.errors import ConfigurationRefused, DeploymentConflict

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

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

    @property
    def in_progress(self) -> bool:
        return self.state in IN_PROGRESS


class ObjectVersions(Protocol):
    def newest_version(self, bucket: str, key: str) -> str | None:
        """The current version of the object, or None when it no longer exists."""
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
    def __init__(self, client: S3Client) -> None:
        self._s3 = client

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
            if code == "BadRequestException":
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
    return Deployment(
        number=int(item["DeploymentNumber"]),
        version=str(item.get("ConfigurationVersion", "")),
        state=str(item.get("State", "")),
        started_at=item.get("StartedAt"),
        profile_id=item.get("ConfigurationProfileId"),
        last_event=str(events[0].get("Description", "")) if events else "",
    )
