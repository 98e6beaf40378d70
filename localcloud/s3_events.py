"""S3's event notifications, shaped as S3 sends them: to EventBridge, and straight to Lambda.

moto stores the objects and the notification configuration, and calls ``send_event`` while it
handles each request, but what it sends falls short of S3:

* to EventBridge (``EventBridgeConfiguration``), moto's events carry a fixed sequencer, the
  reason ``ObjectCreated`` for every API, ``time`` as a number, and go to every bus. S3 sends
  them to the default bus only, with the API that created the object as ``reason`` (PutObject,
  POST Object, CopyObject, CompleteMultipartUpload) and the object's own ``version-id`` and
  ``sequencer`` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html);
* to Lambda (``LambdaFunctionConfigurations``), moto's records carry no ``versionId`` and no
  ``sequencer``, and it can only invoke a function through Docker
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
* moto announces its own internal steps: the PUT of an assembled multipart upload (S3 announces
  one CompleteMultipartUpload), and the tagging of every new object (S3 announces
  ``ObjectTagging:Put`` for PutObjectTagging requests only,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html).

``S3Notifications`` fixes each: ``version-id``/``versionId`` is the version moto has just
stored for this request (null when the bucket is not versioned), never a later look at the
newest; ``sequencer`` grows with every event, in the order moto processed the requests, as a
fixed-width hex string that compares as S3's does. EventBridge events go on moto's default bus,
where ``localcloud.eventbridge`` delivers them; Lambda records go to the same
``LambdaDeliveries``. Queues and topics stay moto's.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from moto.s3 import models as moto_s3
from moto.s3 import notifications as moto_notifications
from moto.s3 import responses as moto_s3_responses

from localcloud.delivery import Delivery

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.delivery import LambdaDeliveries

# The S3 API behind each ObjectCreated event: EventBridge's "reason".
REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
}
_REQUEST = threading.local()
_log = logging.getLogger("localcloud.s3_events")


@dataclass(frozen=True)
class Notified:
    """One event as S3 sent it: what the demo and tests account for."""

    destination: str
    """``eventbridge`` or ``lambda``."""
    bucket: str
    key: str
    version_id: str | None
    sequencer: str
    event: dict[str, Any]


class S3Notifications:
    """Install into moto (running in this process)."""

    def __init__(self, deliveries: LambdaDeliveries, function_of: Callable[[str], str]) -> None:
        """``function_of(arn)``: the logical ID of a notification's function (KeyError if none)."""
        self._deliveries = deliveries
        self._function_of = function_of
        self._lock = threading.Lock()
        self._sequence = 0
        self._originals: dict[str, Any] = {}
        self.sent: list[Notified] = []
        self.errors: list[str] = []
        """Failures while notifying. S3 never fails a request for them; tests should see none."""

    def install(self) -> S3Notifications:
        self._originals = {
            "send_event": moto_notifications.send_event,
            "bridge": moto_notifications._send_event_bridge_message,
            "complete": moto_s3.S3Backend.complete_multipart_upload,
            "tagging": moto_s3_responses.S3Response.put_object_tagging,
        }
        moto_notifications.send_event = self._send_event
        moto_notifications._send_event_bridge_message = _sent_already  # type: ignore[assignment]
        moto_s3.S3Backend.complete_multipart_upload = _marking("completing", self._originals["complete"])  # type: ignore[method-assign]
        moto_s3_responses.S3Response.put_object_tagging = _marking("tagging", self._originals["tagging"])  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        if self._originals:
            moto_notifications.send_event = self._originals["send_event"]
            moto_notifications._send_event_bridge_message = self._originals["bridge"]
            moto_s3.S3Backend.complete_multipart_upload = self._originals["complete"]  # type: ignore[method-assign]
            moto_s3_responses.S3Response.put_object_tagging = self._originals["tagging"]  # type: ignore[method-assign]
            self._originals = {}

    # ---------------------------------------------------------------- moto's hooks
    def _send_event(self, account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        name = str(getattr(event_name, "value", event_name))
        if getattr(_REQUEST, "completing", False) and name != "s3:ObjectCreated:CompleteMultipartUpload":
            return  # moto's own PUT and tagging of the assembled object: S3 announces neither
        if name == "s3:ObjectTagging:Put" and not getattr(_REQUEST, "tagging", False):
            return  # moto tags every new object; S3 announces tagging requests only
        config = bucket.notification_configuration
        try:
            if config is not None:
                for notification in config.cloud_function:
                    if notification.matches(name, key.name):
                        self._to_function(notification, name, bucket, key)
                if config.event_bridge is not None:
                    self._to_eventbridge(account_id, bucket, event_name, key)
        except Exception as error:
            _log.exception("notifying %s of s3://%s/%s failed", name, bucket.name, key.name)
            self.errors.append(f"{name} s3://{bucket.name}/{key.name}: {error!r}")
        # Queues and topics through moto's own dispatch; its Lambda path finds no function in
        # moto, and its EventBridge message is the no-op below.
        self._originals["send_event"](account_id, event_name, bucket, key)

    def _to_function(self, notification: Any, event_name: str, bucket: Any, key: Any) -> None:
        event = moto_notifications._get_s3_event(event_name, bucket, key, notification.id)
        version, sequencer = self._version_and_sequencer(key)
        obj = event["Records"][0]["s3"]["object"]
        obj["versionId"] = version
        obj["sequencer"] = sequencer
        self.sent.append(Notified("lambda", bucket.name, key.name, version, sequencer, event))
        try:
            function = self._function_of(notification.arn)
        except KeyError:
            return  # S3 cannot invoke a function that does not exist; the record is lost
        self._deliveries.deliver(Delivery(f"s3:{bucket.name}", function, event))

    def _to_eventbridge(self, account_id: str, bucket: Any, event_name: Any, key: Any) -> None:
        from moto.events.models import events_backends

        name = str(getattr(event_name, "value", event_name))
        version, sequencer = self._version_and_sequencer(key)
        detail_type = moto_notifications._detail_type(name)
        obj: dict[str, Any] = {"key": key.name, "size": key.size, "etag": key.etag.replace('"', "")}
        if version is not None:
            obj["version-id"] = version
        obj["sequencer"] = sequencer
        detail: dict[str, Any] = {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account_id,
            "source-ip-address": "127.0.0.1",
        }
        if name in REASONS:
            detail["reason"] = REASONS[name]
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": "aws.s3",
            "account": account_id,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": bucket.region_name,
            "resources": [bucket.arn],
            "detail": detail,
        }
        self.sent.append(Notified("eventbridge", bucket.name, key.name, version, sequencer, event))
        default = events_backends[account_id][bucket.region_name].event_buses.get("default")
        for rule in list(default.rules.values()) if default else []:
            rule.send_to_targets(event)  # type: ignore[arg-type]

    def _version_and_sequencer(self, key: Any) -> tuple[str | None, str]:
        with self._lock:
            self._sequence += 1
            sequencer = f"{self._sequence:016X}"
        version = None if key.version_id in (None, "null") else str(key.version_id)
        return version, sequencer


def _sent_already(*_: Any) -> None:
    """moto's EventBridge message, replaced: ``S3Notifications`` has sent S3's own."""


def _marking(flag: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method``, with ``flag`` set for this thread (this request) while it runs."""

    def marked(*args: Any, **kwargs: Any) -> Any:
        setattr(_REQUEST, flag, True)
        try:
            return method(*args, **kwargs)
        finally:
            setattr(_REQUEST, flag, False)

    return marked
