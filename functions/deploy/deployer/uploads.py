"""Events as uploads: the facts about each new object version that the rollout decision needs.

The function is the target of an EventBridge rule on S3's "Object Created" events (its main
path), and still reads S3 event notification records, which a user may wire directly. Whatever
else arrives (S3's test event, another service's event, malformed JSON) becomes a
``NotAnUpload`` with a named outcome: nothing an event source can deliver raises here.

* EventBridge: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html. ``reason``
  names the API that created the object (PutObject, POST Object, CopyObject,
  CompleteMultipartUpload). The key is taken as it arrives: that page documents no encoding,
  unlike the notification page below, and S3's events show keys such as ``a/b:c.zip`` verbatim
  where a notification record would carry ``a/b%3Ac.zip``.
* S3 notification records:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html.
  The key is URL-encoded ("red flower.jpg" arrives as "red+flower.jpg").
* S3's test event (sent when notifications are configured):
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from deployer.outcomes import Outcome, Result

# EventBridge's reason -> the S3 notification event name for the same API, so both sources
# read alike in logs and decisions.
_CREATED_BY = {
    "PutObject": "Put",
    "POST Object": "Post",
    "CopyObject": "Copy",
    "CompleteMultipartUpload": "CompleteMultipartUpload",
}


@dataclass(frozen=True)
class Upload:
    event_name: str
    """``ObjectCreated:Put|Post|Copy|CompleteMultipartUpload`` for new versions, else what S3 sent."""
    bucket: str
    key: str
    """Decoded where S3 encodes it: a record's "my+file.yml" is the object "my file.yml"."""
    version_id: str | None
    """None when the bucket is not versioned (S3 then sends null, or no version at all)."""
    sequencer: str | None
    event_time: datetime | None

    @property
    def is_object_created(self) -> bool:
        return self.event_name.startswith("ObjectCreated:")

    def log_keys(self) -> dict[str, str | None]:
        return {"bucket": self.bucket, "key": self.key, "versionId": self.version_id}


@dataclass(frozen=True)
class NotAnUpload:
    """An event, or a record of one, that names no object version to deploy."""

    outcome: Outcome
    reason: str
    bucket: str | None = None
    key: str | None = None

    def log_keys(self) -> dict[str, str | None]:
        return {"bucket": self.bucket, "key": self.key, "versionId": None}

    def result(self) -> Result:
        return Result(self.outcome, self.reason)


Item = Upload | NotAnUpload


def items_from_event(event: object) -> list[Item]:
    """One item per record (S3 notifications) or per event (EventBridge, test events)."""
    if not isinstance(event, dict):
        return [_unrecognized(f"the event is a JSON {_json_type(event)}, not an object")]
    if "Records" in event:
        return _records(event["Records"])
    if event.get("Event") == "s3:TestEvent":
        bucket = _text(event.get("Bucket"))
        return [
            NotAnUpload(
                Outcome.IGNORED,
                f"S3 test event for bucket {bucket}: S3 sends one when notifications are configured",
                bucket,
            )
        ]
    if "detail-type" in event and "source" in event:
        return [_eventbridge(event)]
    return [_unrecognized("neither S3 event records nor an EventBridge event")]


def _records(records: object) -> list[Item]:
    if not isinstance(records, list) or not records:
        return [_unrecognized("Records holds no event records")]
    return [_record(number, record) for number, record in enumerate(records)]


def _record(number: int, record: object) -> Item:
    s3 = record.get("s3") if isinstance(record, dict) else None
    bucket = _text(_get(s3, "bucket", "name"))
    key = _text(_get(s3, "object", "key"))
    if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
        return _unrecognized(f"record {number} is not an S3 event record")
    if bucket is None or key is None:
        return _unrecognized(f"S3 event record {number} names no bucket or no key")
    obj = _object(s3, "object")
    return Upload(
        event_name=_text(record.get("eventName")) or "",
        bucket=bucket,
        key=unquote_plus(key),
        version_id=_version(obj.get("versionId")),
        sequencer=_text(obj.get("sequencer")),
        event_time=_parse_time(record.get("eventTime")),
    )


def _eventbridge(event: dict[str, Any]) -> Item:
    source, detail_type = _text(event.get("source")), _text(event.get("detail-type"))
    if source != "aws.s3":
        return _unrecognized(f"an EventBridge event from {source}, not from S3")
    detail = event.get("detail")
    bucket = _text(_get(detail, "bucket", "name"))
    key = _text(_get(detail, "object", "key"))
    if bucket is None or key is None:
        return _unrecognized(f"S3's {detail_type!r} event names no bucket or no key")
    if detail_type != "Object Created":
        return NotAnUpload(Outcome.IGNORED, f"{detail_type} is not an upload", bucket, key)
    obj = _object(detail, "object")
    reason = _text(_get(detail, "reason")) or "unknown"
    return Upload(
        event_name=f"ObjectCreated:{_CREATED_BY.get(reason, reason)}",
        bucket=bucket,
        key=key,
        version_id=_version(obj.get("version-id")),
        sequencer=_text(obj.get("sequencer")),
        event_time=_parse_time(event.get("time")),
    )


def _unrecognized(why: str) -> NotAnUpload:
    return NotAnUpload(Outcome.UNRECOGNIZED, f"not an event this function handles: {why}")


def _get(value: object, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or None as soon as a step is not an object with that key."""
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _object(value: object, *path: str) -> dict[str, Any]:
    found = _get(value, *path)
    return found if isinstance(found, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _version(value: object) -> str | None:
    # "null" is what S3 reports for objects written while versioning was off or suspended.
    text = _text(value)
    return text if text != "null" else None


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
