"""SQS for the local cloud: its timers on the local cloud's clock, and Lambda's SQS event sources.

moto keeps the queues and implements what the deploy path relies on: FIFO message groups (a
group's messages are returned in order, and none while another of the group is in flight),
``ChangeMessageVisibility`` and the redrive policy (a message received ``maxReceiveCount`` times
moves to the dead-letter queue on its next receive). Two things it does not do, added here:

* **Time.** A deployment strategy runs ``time_scale`` times faster in the local cloud, and so
  must the waits that a consumer sets for one with ``ChangeMessageVisibility``: ``SqsClock``
  divides them by the same scale (a hold of the 300 s a deployment has left lasts 0.5 s at a
  scale of 600). A queue's own visibility timeout is left as it is: it covers the consumer's
  processing, which runs in real time. The FIFO deduplication interval, five minutes, and
  message delays are scaled like the waits.
* **One receive of a FIFO queue at a time.** moto notes which message groups have a message in
  flight when a receive starts, and a long poll keeps that note while it waits: two receives
  waiting together could each take a message of the same group, out of order; and one waiting
  alone misses a group's next message until its wait ends. A FIFO queue's receives here take
  turns, and a long poll is a series of short receives, so each sees the messages in flight at
  that moment ("no more messages for the same message group ID are returned unless you delete
  the message or it becomes visible",
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
* **Deduplication after a delete.** "Any messages sent with the same message deduplication ID
  are accepted successfully but aren't delivered during the 5-minute deduplication interval"
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html),
  whether or not the first was received or deleted; moto compares only with messages still
  queued.

``QueuePollers`` is Lambda's event source mapping for SQS
(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): it receives batches of up to
``BatchSize`` messages with the function's execution role (as Lambda polls with it), invokes
the function synchronously with them, and deletes what succeeded: the whole batch, or, with
``ReportBatchItemFailures``, every message but those the response names
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). A failed
invocation deletes nothing; the messages come back when their visibility timeout ends. For a
FIFO queue several pollers share the queue, so different message groups are processed at
once, each in order ("each batch may contain messages from more than one message group, but
the order of the messages is maintained",
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.core.utils import unix_time_millis
from moto.sqs import models as moto_sqs

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.cfn.resources import SqsEventSource
    from localcloud.lambda_runtime.functions import Invocation

_log = logging.getLogger("localcloud.sqs")
DEDUPLICATION_SECONDS = 300.0
_SHORT_POLL_SECONDS = 0.02
"""Between a FIFO long poll's short receives: how late a group's next message may be handed out."""
_installed_lock = threading.Lock()
_installed: SqsClock | None = None


class SqsClock:
    """moto's SQS timers at the local cloud's time scale, and FIFO deduplication as AWS keeps it."""

    def __init__(self, time_scale: float) -> None:
        self.time_scale = time_scale
        self._seen: dict[tuple[str, str], float] = {}
        """(queue ARN, deduplication ID) -> when it was first sent (ms)."""
        self._seen_lock = threading.Lock()
        self._turns: dict[tuple[str, str, str], threading.Lock] = {}
        self._originals: dict[str, Any] = {}

    def install(self) -> SqsClock:
        global _installed  # noqa: PLW0603 - moto's queues are process-wide, and so is this hook
        with _installed_lock:
            if _installed is not None:
                raise RuntimeError("an SqsClock is already installed into moto in this process")
            self._originals = {
                "receive_message": moto_sqs.SQSBackend.receive_message,
                "change_message_visibility": moto_sqs.SQSBackend.change_message_visibility,
                "delay": moto_sqs.Message.delay,
                "add_message": moto_sqs.Queue.add_message,
            }
            clock = self
            original_change = self._originals["change_message_visibility"]

            def change_message_visibility(
                backend: Any, queue_name: str, receipt_handle: str, visibility_timeout: int
            ) -> None:
                original_change(backend, queue_name, receipt_handle, visibility_timeout)  # moto's checks
                queue = backend.get_queue(queue_name)
                for message in queue._messages:
                    if message.had_receipt_handle(receipt_handle):
                        message.visible_at = unix_time_millis() + clock.scaled_ms(visibility_timeout)
                        if message.visible and message in queue.pending_messages:
                            queue.pending_messages.remove(message)
                        return

            original_receive = self._originals["receive_message"]

            def receive_message(  # noqa: PLR0917 - moto calls it with these, positionally
                backend: Any,
                queue_name: str,
                count: int,
                wait_seconds_timeout: int,
                visibility_timeout: int,
                message_attribute_names: list[str] | None = None,
            ) -> Any:
                if not backend.get_queue(queue_name).fifo_queue:
                    return original_receive(
                        backend, queue_name, count, wait_seconds_timeout, visibility_timeout,
                        message_attribute_names,
                    )  # fmt: skip
                # A long poll made of short receives: each sees the groups in flight now, so a
                # group's next message is returned as soon as the one before is deleted or comes
                # back, as SQS returns it. moto's own long poll keeps the groups in flight at its
                # start, and spins while their messages are visible.
                deadline = time.monotonic() + wait_seconds_timeout
                while True:
                    with clock.turn(backend, queue_name):
                        messages = original_receive(
                            backend, queue_name, count, 0, visibility_timeout, message_attribute_names
                        )
                    if messages or time.monotonic() >= deadline:
                        return messages
                    time.sleep(_SHORT_POLL_SECONDS)

            def delay(message: Any, delay_seconds: int) -> None:
                message.delayed_until = unix_time_millis() + clock.scaled_ms(delay_seconds)

            def add_message(queue: Any, message: Any) -> None:
                if clock.first_of(queue, message):
                    clock._originals["add_message"](queue, message)

            moto_sqs.SQSBackend.receive_message = receive_message  # type: ignore[method-assign, assignment]
            moto_sqs.SQSBackend.change_message_visibility = change_message_visibility  # type: ignore[method-assign, assignment]
            moto_sqs.Message.delay = delay  # type: ignore[method-assign, assignment]
            moto_sqs.Queue.add_message = add_message  # type: ignore[method-assign, assignment]
            _installed = self
        return self

    def uninstall(self) -> None:
        global _installed  # noqa: PLW0603
        with _installed_lock:
            owners = {"add_message": moto_sqs.Queue, "delay": moto_sqs.Message}
            for name, original in self._originals.items():
                setattr(owners.get(name, moto_sqs.SQSBackend), name, original)
            self._originals = {}
            if _installed is self:
                _installed = None

    def turn(self, backend: Any, queue_name: str) -> threading.Lock:
        """The lock that a FIFO queue's receives take turns on."""
        key = (str(backend.account_id), str(backend.region_name), queue_name)
        with self._seen_lock:
            return self._turns.setdefault(key, threading.Lock())

    def scaled_ms(self, seconds: float) -> float:
        return float(int(seconds)) * 1000.0 / self.time_scale

    def first_of(self, queue: Any, message: Any) -> bool:
        """Whether the message is not a repeat within the deduplication interval (FIFO only)."""
        dedup = getattr(message, "deduplication_id", None)
        if not getattr(queue, "fifo_queue", False) or not dedup:
            return True
        now = float(message.sent_timestamp or unix_time_millis())
        window = self.scaled_ms(DEDUPLICATION_SECONDS)
        key = (str(queue.queue_arn), str(dedup))
        with self._seen_lock:
            first = self._seen.get(key)
            if first is not None and now - first < window:
                return False
            self._seen[key] = now
            if len(self._seen) > 10_000:  # forget what is past the interval
                self._seen = {k: v for k, v in self._seen.items() if now - v < window}
        return True


@dataclass
class PolledSource:
    function: str
    """The function's logical ID."""
    source: SqsEventSource
    busy: int = 0
    """Pollers invoking the function right now."""
    invocations: list[Invocation] = field(default_factory=list)
    batches: list[dict[str, Any]] = field(default_factory=list)
    """The event of each invocation, in the same order."""


class QueuePollers:
    def __init__(
        self,
        sources: list[tuple[str, SqsEventSource]],
        *,
        invoke: Callable[[str, dict[str, Any]], Invocation],
        client_for: Callable[[str], Any],
        region: str,
        fifo_pollers: int = 3,
        wait_seconds: int = 1,
    ) -> None:
        """``sources``: (function logical ID, its mapping); ``client_for(function)``: an SQS client
        with the function's execution role; ``invoke(function, event)``: a synchronous invoke."""
        self._invoke = invoke
        self._client_for = client_for
        self._region = region
        self._wait = wait_seconds
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.sources = [PolledSource(function, source) for function, source in sources if source.enabled]
        self._threads = [
            threading.Thread(
                target=self._poll, args=(polled,), name=f"sqs-esm-{polled.function}-{n}", daemon=True
            )
            for polled in self.sources
            for n in range(fifo_pollers if polled.source.fifo else 1)
        ]

    def start(self) -> QueuePollers:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self._wait + 5)

    @property
    def busy(self) -> bool:
        with self._lock:
            return any(polled.busy for polled in self.sources)

    def _poll(self, polled: PolledSource) -> None:
        sqs = self._client_for(polled.function)
        source = polled.source
        while not self._stop.is_set():
            try:
                messages = sqs.receive_message(
                    QueueUrl=source.queue_url,
                    MaxNumberOfMessages=source.batch_size,
                    WaitTimeSeconds=self._wait,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception as error:  # the queue went away with the local cloud, or IAM refused
                if not self._stop.is_set():
                    _log.warning("polling %s for %s failed: %s", source.queue_arn, polled.function, error)
                    self._stop.wait(1.0)
                continue
            if not messages:
                continue
            with self._lock:
                polled.busy += 1
            try:
                self._deliver(sqs, polled, messages)
            except Exception as error:  # a delete refused or failed: the messages come back
                _log.warning("handing %s to %s failed: %s", source.queue_arn, polled.function, error)
            finally:
                with self._lock:
                    polled.busy -= 1

    def _deliver(self, sqs: Any, polled: PolledSource, messages: list[dict[str, Any]]) -> None:
        source = polled.source
        event = {"Records": [lambda_record(m, source.queue_arn, self._region) for m in messages]}
        result = self._invoke(polled.function, event)
        with self._lock:
            polled.batches.append(event)
            polled.invocations.append(result)
        if result.failed:
            return  # every message comes back after its visibility timeout
        failed: set[str] | None = set()
        if source.report_batch_item_failures:
            failed = batch_item_failures(result.payload, [m["MessageId"] for m in messages])
        if failed is None:
            return  # an invalid response fails the whole batch
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=entries)


def batch_item_failures(payload: Any, message_ids: list[str]) -> set[str] | None:
    """The messages a ``ReportBatchItemFailures`` response names as failed; None when the
    response is invalid, which fails the whole batch ("If the function returns a null or empty
    itemIdentifier, or one not in the batch, Lambda treats the whole batch as failed")."""
    if not isinstance(payload, dict) or payload.get("batchItemFailures") is None:
        return set()
    items = payload["batchItemFailures"]
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in message_ids:
            return None
        failed.add(identifier)
    return failed


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """An SQS message as Lambda hands it to a function (the SQS event's record)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def queue_is_empty(sqs: Any, url: str) -> bool:
    """No message waiting, delayed or in flight (the Approximate* attributes are exact in moto)."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(int(attributes.get(name, 0)) == 0 for name in names)
