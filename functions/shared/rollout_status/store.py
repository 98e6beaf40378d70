"""Records in S3, tags on the object version, events on the default bus: one change, three places.

``StatusStore.report(version, change)`` applies a change to the version's record and tells the
world, in an order that survives a crash at any point (Lambda then retries the writer, whose
repeated report finds the change already recorded and finishes what is left):

1. the record (``<key>.rollout/<versionId>.json``) is written with a conditional PUT, so
   concurrent writers never lose each other's changes: the loser reads again and re-applies its
   change. The first attempt creates it (``If-None-Match: *``): most versions' first report is
   their first, and a read of a record not written yet would be a 403 to a writer that may not
   list the bucket (GetObject, "Permissions"). When it exists, the record is read and replaced
   (``If-Match`` its ETag);
2. the ``Rollout Status Changed`` event of the change is put on the default bus, and the
   record marks its history entry announced (a conditional PUT on the ETag the first one
   returned). A report that is no news (a retry after a crash) announces every entry still
   unmarked instead: its writer died before announcing it;
3. the version's tags (``rollout-status``, ``rollout-deployment``) are set from the record,
   keeping every other tag; a writer that finds the record changed while it tagged tags again,
   so the last tagging always reflects the newest record.

Events are therefore delivered at least once (a crash between the put and the mark repeats
one), as EventBridge itself delivers: consumers can tell repeats by versionId, environment,
status and deploymentNumber.

S3 references: conditional writes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html),
PutObjectTagging on a version creates no version and no ObjectCreated event
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rollout_status.locations import DEPLOYMENT_TAG, OUR_TAGS, STATUS_TAG, record_key
from rollout_status.model import Change, Entry, Record, Uploader, event_detail

if TYPE_CHECKING:
    from collections.abc import Callable

SOURCE = "s3-appconfig-rollout"
DETAIL_TYPE = "Rollout Status Changed"
_ATTEMPTS = 10
"""Conditional writes lost in a row before giving up (each loss means another writer progressed)."""
_CONFLICTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_GONE = frozenset({"NoSuchKey", "NoSuchVersion", "404"})


class StoreBusy(Exception):
    """Other writers kept changing the record; the caller's retry will find it settled."""


@dataclass(frozen=True)
class Reported:
    record: Record
    """The record as this call left it."""
    applied: Entry | None
    """The history entry this call added, or None when the change was not news."""


class StatusStore:
    """The records, tags and events of one configuration object's versions."""

    def __init__(
        self,
        s3: Any,
        events: Any,
        *,
        bucket: str,
        key: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._s3 = s3
        self._events = events
        self.bucket = bucket
        self.key = key
        self._now = now

    # ------------------------------------------------------------------ reading
    def read(self, version_id: str) -> tuple[Record | None, str | None]:
        """The version's record and its ETag, or (None, None) when it has none yet."""
        key = record_key(self.key, version_id)
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if absent(self._s3, self.bucket, key, error):
                return None, None
            raise
        body = response["Body"].read()
        return Record.from_dict(json.loads(body)), str(response["ETag"])

    # ------------------------------------------------------------------ writing
    def report(self, version_id: str, change: Change, *, uploader: Uploader | None = None) -> Reported:
        """Apply ``change`` (if it is news), then bring tags and events up to the record."""
        record, applied, etag = self._write(
            version_id, lambda r: r.apply(change, now=self._now(), uploader=uploader)
        )
        # Concurrent writers each announce their own change; a no-news report (a retry after a
        # crash) announces what the crashed writer left unannounced.
        own = (len(record.history) - 1,) if applied else record.pending
        record = self._announce(record, etag, own)
        self._sync_tags(record)
        return Reported(record, applied)

    def _write(
        self, version_id: str, change: Callable[[Record], Record | None]
    ) -> tuple[Record, Entry | None, str | None]:
        fresh = change(Record(self.bucket, self.key, version_id))
        if fresh is not None:
            created = self._put(fresh, None)
            if created is not None:
                return fresh, fresh.latest, created
        for _ in range(_ATTEMPTS):
            current, etag = self.read(version_id)
            base = current or Record(self.bucket, self.key, version_id)
            updated = change(base)
            if updated is None:
                return base, None, etag
            written = self._put(updated, etag)
            if written is not None:
                applied = updated.latest if len(updated.history) > len(base.history) else None
                return updated, applied, written
        raise StoreBusy(f"the record of {version_id} kept changing under {_ATTEMPTS} attempts to update it")

    def _put(self, record: Record, etag: str | None) -> str | None:
        """One conditional PUT; the new ETag, or None when another writer got there first."""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            response = self._s3.put_object(
                Bucket=self.bucket,
                Key=record_key(self.key, record.version_id),
                Body=json.dumps(record.as_dict(), indent=1).encode(),
                ContentType="application/json",
                **condition,
            )
        except ClientError as error:
            if _code(error) in _CONFLICTS:
                return None
            raise
        return str(response["ETag"])

    def _sync_tags(self, record: Record) -> None:
        for _ in range(_ATTEMPTS):
            if record.status is None:
                return
            try:
                response = self._s3.get_object_tagging(
                    Bucket=self.bucket, Key=self.key, VersionId=record.version_id
                )
            except ClientError as error:
                if _code(error) in _GONE:
                    return  # the version itself is gone (deleted, or expired by the lifecycle)
                raise
            current = {t["Key"]: t["Value"] for t in response.get("TagSet", [])}
            wanted = {k: v for k, v in current.items() if k not in OUR_TAGS} | _tags(record)
            if wanted == current:
                return
            self._s3.put_object_tagging(
                Bucket=self.bucket,
                Key=self.key,
                VersionId=record.version_id,
                Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in sorted(wanted.items())]},
            )
            # Tagging is not conditional: if the record moved on while we tagged, tag again.
            newer, _ = self.read(record.version_id)
            if newer is None or newer.revision == record.revision:
                return
            record = newer

    def _announce(self, record: Record, etag: str | None, indexes: tuple[int, ...]) -> Record:
        indexes = tuple(i for i in indexes if not record.history[i].announced)
        if not indexes:
            return record
        self._put_events(record, tuple(record.history[i] for i in indexes))
        current: Record | None = record
        for _ in range(_ATTEMPTS):
            if current is None:
                return record
            if all(current.history[i].announced for i in indexes):
                return current
            marked = current.mark_announced(indexes)
            if self._put(marked, etag) is not None:
                return marked
            current, etag = self.read(record.version_id)  # another writer came between: again
        raise StoreBusy(f"the record of {record.version_id} kept changing while its events were announced")

    def _put_events(self, record: Record, entries: tuple[Entry, ...]) -> None:
        at = self._now()
        batch = [
            {
                "Time": at,
                "Source": SOURCE,
                "DetailType": DETAIL_TYPE,
                "Detail": json.dumps(event_detail(record, entry)),
            }
            for entry in entries
        ]
        for start in range(0, len(batch), 10):  # PutEvents takes at most 10 entries
            response = self._events.put_events(Entries=batch[start : start + 10])
            if response.get("FailedEntryCount"):
                failed = [e for e in response.get("Entries", []) if e.get("ErrorCode")]
                raise RuntimeError(f"EventBridge refused {len(failed)} status event(s): {failed[:1]}")


def absent(s3: Any, bucket: str, key: str, error: ClientError) -> bool:
    """Whether a failed GetObject means the object is not there (rather than a refusal).

    404 says so. Without s3:ListBucket S3 answers a missing key with 403 instead (GetObject,
    "Permissions"), so then listing exactly this key decides; a caller that may not list it
    gets the 403 back."""
    if _code(error) in _GONE:
        return True
    if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 403:
        return False
    try:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    except ClientError:
        return False
    return not any(item.get("Key") == key for item in listed.get("Contents", []))


def _tags(record: Record) -> dict[str, str]:
    tags = {STATUS_TAG: record.status.value} if record.status else {}
    if record.deployment_number is not None:
        tags[DEPLOYMENT_TAG] = str(record.deployment_number)
    return tags


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
