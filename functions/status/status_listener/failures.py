"""Lambda's on-failure destination record -> ``failed``. Pure.

When the deploy function's retries run out, Lambda sends the invocation record to its
on-failure destination, here the default bus: ``source`` ``lambda``, ``detail-type``
``Lambda Function Invocation Result - Failure``, ``detail`` the record (``requestContext``,
``requestPayload`` = the event that failed, ``responseContext``, ``responsePayload`` = the error)
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). One rule
sends it both to the failure queue, where it waits for a replay, and to this function, which
marks each upload in the failed event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from rollout_status.model import Change, Status, Uploader

BY = "status-function"
WRITES = frozenset({Status.FAILED})
DETAIL_TYPE = "Lambda Function Invocation Result - Failure"


@dataclass(frozen=True)
class FailedUpload:
    bucket: str
    key: str
    version_id: str
    uploader: Uploader


def failed_uploads(event: dict[str, Any]) -> list[FailedUpload]:
    """The uploads whose event ran out of retries; none for any other event."""
    detail = event.get("detail")
    if (
        event.get("source") != "lambda"
        or event.get("detail-type") != DETAIL_TYPE
        or not isinstance(detail, dict)
    ):
        return []
    payload = detail.get("requestPayload")
    if not isinstance(payload, dict):
        return []
    if isinstance(payload.get("Records"), list):
        return [u for r in payload["Records"] if (u := _from_record(r))]
    upload = _from_eventbridge(payload)
    return [upload] if upload else []


def change_for(event: dict[str, Any], environment: str) -> Change:
    detail = event.get("detail") or {}
    context = detail.get("requestContext") or {}
    error = detail.get("responsePayload") or {}
    attempts = context.get("approximateInvokeCount")
    kind = error.get("errorType") if isinstance(error, dict) else None
    message = error.get("errorMessage") if isinstance(error, dict) else str(error)
    tried = f"after {attempts} attempts" if attempts else ""
    reason = (
        f"Lambda gave up {tried} ({context.get('condition', 'unknown condition')}): "
        f"{kind or 'error'}: {message or 'no message'}; the event waits on the failure queue for a replay"
    )
    return Change(environment=environment, status=Status.FAILED, reason=" ".join(reason.split()), by=BY)


def _from_record(record: Any) -> FailedUpload | None:
    s3 = record.get("s3") if isinstance(record, dict) else None
    if not isinstance(s3, dict):
        return None
    bucket, obj = (s3.get("bucket") or {}).get("name"), s3.get("object") or {}
    version = obj.get("versionId")
    if not (bucket and obj.get("key") and version and version != "null"):
        return None
    principal = (record.get("userIdentity") or {}).get("principalId")
    return FailedUpload(
        bucket, unquote_plus(obj["key"]), version, Uploader(principal, record.get("eventTime"))
    )


def _from_eventbridge(payload: dict[str, Any]) -> FailedUpload | None:
    detail = payload.get("detail")
    if payload.get("source") != "aws.s3" or not isinstance(detail, dict):
        return None
    bucket, obj = (detail.get("bucket") or {}).get("name"), detail.get("object") or {}
    version = obj.get("version-id")
    if not (bucket and obj.get("key") and version and version != "null"):
        return None
    return FailedUpload(bucket, obj["key"], version, Uploader(detail.get("requester"), payload.get("time")))
