"""The AWS calls of the command: what an uploader's credentials are used for, nothing more.

Endpoints come from the standard ``AWS_ENDPOINT_URL_<SERVICE>`` variables (``make local-up``
prints them), so the same command works against AWS and against the local cloud. ``push``
makes its calls through ``rollout.light`` when it can (the same calls without botocore's
import), every other command through these botocore clients.
"""

from __future__ import annotations

import urllib.parse
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from rollout_status.locations import OUR_TAGS

if TYPE_CHECKING:
    from rollout_status.model import Record

    from rollout.target import Target

CONTENT_TYPE = "application/x-yaml"


class ClientSet(Protocol):
    """What the commands call: botocore's clients (``Clients``) or the light path's."""

    @property
    def s3(self) -> Any: ...

    @property
    def appconfig(self) -> Any: ...

    @property
    def cloudformation(self) -> Any: ...

    @property
    def sqs(self) -> Any: ...


class Clients:
    """botocore clients from one session: a person waits for this command, and boto3 adds only
    the import of itself and s3transfer (neither of which the command uses) to botocore's."""

    def __init__(self, region: str | None = None) -> None:
        self._region = region
        self._given_session: Any = None

    def use_session(self, session: Any) -> None:
        """Make the clients from ``session`` (the light path's, which already resolved credentials)."""
        self._given_session = session

    @cached_property
    def _session(self) -> Any:
        if self._given_session is not None:
            return self._given_session
        import botocore.session

        return botocore.session.get_session()

    def client(self, service: str) -> Any:
        from botocore.config import Config

        config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
        return self._session.create_client(service, region_name=self._region, config=config)

    @cached_property
    def s3(self) -> Any:
        return self.client("s3")

    @cached_property
    def appconfig(self) -> Any:
        return self.client("appconfig")

    @cached_property
    def cloudformation(self) -> Any:
        return self.client("cloudformation")

    @cached_property
    def sqs(self) -> Any:
        return self.client("sqs")


class Configuration:
    """One configuration object: its versions, their records, uploads and restores."""

    def __init__(self, clients: ClientSet, target: Target) -> None:
        self._clients = clients
        self.target = target
        self._progress_denied = False
        self.record_refused = False
        """Whether S3 answered 403 for a record (not written yet, to a caller that may not list)."""

    @property
    def _s3(self) -> Any:
        return self._clients.s3

    def for_key(self, key: str) -> Configuration:
        """The same stack's configuration at ``key``."""
        other = Configuration(self._clients, self.target.with_key(key))
        other._progress_denied = self._progress_denied
        return other

    def find(self, version_id: str) -> tuple[str, Record | None]:
        """Which of the stack's configurations has a record of the version, and the record (the
        target's own key and None when none has)."""
        for key in (self.target.key, *(k for k in self.target.keys if k != self.target.key)):
            record = self.for_key(key).record(version_id)
            if record is not None:
                return key, record
        return self.target.key, None

    def promote(self, version_id: str, to: str) -> str:
        """Queue the version's promotion to stage ``to`` (``rollout_status.requests``)."""
        from rollout_status.requests import send_promotion

        assert self.target.queue_url is not None
        return send_promotion(
            self._clients.sqs,
            self.target.queue_url,
            bucket=self.target.bucket,
            key=self.target.key,
            version_id=version_id,
            to=to,
            by="rollout promote",
        )

    def upload(self, body: bytes) -> str:
        response = self._s3.put_object(
            Bucket=self.target.bucket, Key=self.target.key, Body=body, ContentType=CONTENT_TYPE
        )
        return str(response["VersionId"])

    def read_version(self, version_id: str) -> bytes:
        response = self._s3.get_object(Bucket=self.target.bucket, Key=self.target.key, VersionId=version_id)
        return bytes(response["Body"].read())

    def restore(self, version_id: str) -> str:
        """Copy the version onto the key: a new version, which deploys like any upload.

        Its status tags are not copied (a copy would otherwise arrive looking deployed); any
        other tags are."""
        tags = self._s3.get_object_tagging(
            Bucket=self.target.bucket, Key=self.target.key, VersionId=version_id
        ).get("TagSet", [])
        kept = urllib.parse.urlencode({t["Key"]: t["Value"] for t in tags if t["Key"] not in OUR_TAGS})
        response = self._s3.copy_object(
            Bucket=self.target.bucket,
            Key=self.target.key,
            CopySource={"Bucket": self.target.bucket, "Key": self.target.key, "VersionId": version_id},
            MetadataDirective="COPY",
            TaggingDirective="REPLACE",
            Tagging=kept,
        )
        return str(response["VersionId"])

    def record(self, version_id: str) -> Record | None:
        from rollout_status.store import StatusStore

        record, _ = StatusStore(self._s3, None, bucket=self.target.bucket, key=self.target.key).read(
            version_id
        )
        return record

    def versions(self, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` versions of the key (records live under the same prefix: skipped)."""
        found: list[dict[str, Any]] = []
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.target.bucket, Prefix=self.target.key):
            found += [v for v in page.get("Versions", []) if v["Key"] == self.target.key]
            # Keys come in order: once past ours, only records follow.
            if len(found) >= limit or any(v["Key"] > self.target.key for v in page.get("Versions", [])):
                break
        return found[:limit]

    def deployment(self, application_id: str, environment_id: str, number: int) -> dict[str, Any] | None:
        """The deployment's state and percentage; None once the caller turned out not to be allowed."""
        if self._progress_denied:
            return None
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return dict(
                self._clients.appconfig.get_deployment(
                    ApplicationId=application_id, EnvironmentId=environment_id, DeploymentNumber=number
                )
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("AccessDeniedException", "AccessDenied"):
                self._progress_denied = True
            return None
        except BotoCoreError:
            return None
