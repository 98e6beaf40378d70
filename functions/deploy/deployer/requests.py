"""The deploy queue's messages as requests: which version of which configuration, into which stage.

The queue is FIFO with one message group per stage (the group ID is the stage's name), so the
group says where a request deploys. Two kinds of message reach it:

* S3's "Object Created" event, which an EventBridge rule puts in the first stage's group (the
  message body is the event; ``uploads`` reads it);
* a promotion (``rollout_status.requests``): the status function sends one when a version
  completes a stage (``PromotionApproval`` auto), ``rollout promote`` when a person approves
  one; its ``to`` is the group's stage.

A request whose body and group disagree (an upload in a later stage's group, a promotion to
another stage or to the first) is not one this function deploys: it ends as ``unrecognized``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rollout_status.requests import PROMOTE

from deployer.outcomes import Outcome
from deployer.uploads import NotAnUpload, Upload, items_from_event


@dataclass(frozen=True)
class Promotion:
    bucket: str
    key: str
    version_id: str
    to: str
    by: str = ""
    """Who asked: ``status-function`` (automatic), or the approver ``rollout promote`` names."""

    def log_keys(self) -> dict[str, str | None]:
        return {"bucket": self.bucket, "key": self.key, "versionId": self.version_id}


Item = Upload | NotAnUpload | Promotion


@dataclass(frozen=True)
class Request:
    message_id: str
    receipt_handle: str
    stage: str
    """The message group: the stage the request deploys into."""
    receive_count: int
    """How many times SQS has handed the message out (``ApproximateReceiveCount``)."""
    item: Item


def requests_from_event(event: object) -> list[Request] | None:
    """One request per SQS record; None when the event is not an SQS event."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        return None
    if not all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records):
        return None
    return [_request(record) for record in records]


def _request(record: dict[str, Any]) -> Request:
    attributes = record.get("attributes") or {}
    stage = str(attributes.get("MessageGroupId") or "")
    try:
        count = int(attributes.get("ApproximateReceiveCount") or 1)
    except ValueError:
        count = 1
    return Request(
        message_id=str(record.get("messageId", "")),
        receipt_handle=str(record.get("receiptHandle", "")),
        stage=stage,
        receive_count=count,
        item=_item(record.get("body")),
    )


def _item(body: object) -> Item:
    try:
        parsed = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return NotAnUpload(
            Outcome.UNRECOGNIZED, "not an event this function handles: the message is not JSON"
        )
    if PROMOTE in parsed:
        return _promotion(parsed[PROMOTE])
    items = items_from_event(parsed)
    if len(items) != 1:
        return NotAnUpload(Outcome.UNRECOGNIZED, "not an event this function handles: one message, one event")
    return items[0]


def _promotion(detail: object) -> Item:
    fields = ("bucket", "key", "versionId", "to")
    if not isinstance(detail, dict) or not all(isinstance(detail.get(f), str) and detail[f] for f in fields):
        return NotAnUpload(
            Outcome.UNRECOGNIZED,
            "not an event this function handles: a promotion names bucket, key, versionId and to",
        )
    return Promotion(
        detail["bucket"], detail["key"], detail["versionId"], detail["to"], str(detail.get("by", ""))
    )
