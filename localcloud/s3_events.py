"""S3 event notifications to local Lambda functions, shaped as S3 sends them.

moto stores objects and knows each bucket's notification configuration, but its records carry
no ``versionId`` and no ``sequencer``, and it can only deliver to Lambda through Docker. This
bridge takes moto's own notification call, made while moto handles the PUT, and builds the
record AWS documents (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html):

* ``versionId`` is the version moto has just stored for this PUT (null when the bucket is not
  versioned), never a later look at the newest version;
* ``sequencer`` grows with every event of a key, in the order moto processed the requests,
  as a fixed-width hex string that compares as S3's does.

Delivery is at least once and unordered, as S3's: ``DeliveryChaos`` duplicates events and
delays them by random amounts, so tests and the demo see what AWS allows.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.s3 import notifications as moto_notifications

from localcloud.lambda_runtime.functions import function_name_from_arn

Deliver = Callable[[str, dict[str, Any], float], None]
"""(function name, S3 event, delay in seconds)."""


@dataclass
class DeliveryChaos:
    """What S3's at-least-once, unordered delivery allows, made to happen on purpose."""

    duplicate_probability: float = 0.0
    max_delay: float = 0.0
    """Each delivery waits a random 0..max_delay seconds, so later uploads may arrive first."""
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - test traffic, not cryptography

    def deliveries(self) -> list[float]:
        copies = 2 if self._random.random() < self.duplicate_probability else 1
        return [self._random.uniform(0, self.max_delay) for _ in range(copies)]


@dataclass(frozen=True)
class Notified:
    """One upload as S3 announced it: what the demo and tests account for."""

    bucket: str
    key: str
    version_id: str | None
    sequencer: str
    event: dict[str, Any]


class S3Notifications:
    """Install into moto (running in this process) to deliver its Lambda notifications."""

    def __init__(self, deliver: Deliver, chaos: DeliveryChaos | None = None) -> None:
        self._deliver = deliver
        self.chaos = chaos or DeliveryChaos()
        """How deliveries are duplicated and delayed; may be replaced while running."""
        self._lock = threading.Lock()
        self._sequence = 0
        self._original: Any = None
        self.sent: list[Notified] = []
        self.holding = False
        """While True, events are recorded in ``sent`` but not delivered (a test delivers them)."""

    def install(self) -> S3Notifications:
        self._original = moto_notifications.send_event
        moto_notifications.send_event = self._send_event
        return self

    def uninstall(self) -> None:
        if self._original is not None:
            moto_notifications.send_event = self._original
            self._original = None

    def _send_event(self, account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        config = bucket.notification_configuration
        if config is not None:
            for notification in config.cloud_function:
                if notification.matches(event_name, key.name):
                    self._notify(
                        function_name_from_arn(notification.arn), event_name, bucket, key, notification.id
                    )
        # Queues, topics and EventBridge stay moto's; its Lambda path finds no function and does nothing.
        self._original(account_id, event_name, bucket, key)

    def _notify(self, function: str, event_name: Any, bucket: Any, key: Any, notification_id: str) -> None:
        event = moto_notifications._get_s3_event(event_name, bucket, key, notification_id)
        with self._lock:
            self._sequence += 1
            sequencer = f"{self._sequence:016X}"
        version = None if key.version_id in (None, "null") else str(key.version_id)
        obj = event["Records"][0]["s3"]["object"]
        obj["versionId"] = version
        obj["sequencer"] = sequencer
        self.sent.append(Notified(bucket.name, key.name, version, sequencer, event))
        if self.holding:
            return
        for delay in self.chaos.deliveries():
            self._deliver(function, event, delay)
