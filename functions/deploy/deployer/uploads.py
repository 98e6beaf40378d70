"""S3 event records as uploads: the facts about one record that the rollout decision needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

# The module itself, not the package: the package imports every event class (~25 ms).
from aws_lambda_powertools.utilities.data_classes.s3_event import S3Event

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True)
class Upload:
    event_name: str
    bucket: str
    key: str
    """Decoded: S3 URL-encodes keys in notifications ("my file.yml" arrives as "my+file.yml")."""
    version_id: str | None
    """None when the bucket is not versioned (S3 then sends null)."""
    sequencer: str | None
    event_time: datetime | None

    @property
    def is_object_created(self) -> bool:
        return self.event_name.startswith("ObjectCreated:")

    def log_keys(self) -> dict[str, str | None]:
        return {"bucket": self.bucket, "key": self.key, "versionId": self.version_id}


def uploads_from_event(event: dict[str, Any]) -> Iterator[Upload]:
    """Yield one Upload per record. S3 sends one record per event today, but the format allows more."""
    for record in S3Event(event).records:
        s3 = record.s3
        version = s3.get_object.version_id
        yield Upload(
            event_name=record.event_name,
            bucket=s3.bucket.name,
            key=unquote_plus(s3.get_object.key),
            # A versioned bucket always sends a versionId; "null" is what S3 reports for objects
            # written while versioning was off or suspended.
            version_id=version if version and version != "null" else None,
            sequencer=s3.get_object.get("sequencer"),
            event_time=_parse_time(record.get("eventTime")),
        )


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
