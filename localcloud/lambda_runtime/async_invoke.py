"""Lambda's asynchronous invocation for the local cloud (how S3 invokes a function).

What AWS documents and this keeps (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):

* events queue and run concurrently, each in an execution environment of its own;
* a function error is retried ``MaximumRetryAttempts`` times (0-2, default 2), one minute
  before the first retry and two minutes before the second (scaled by ``time_scale`` here);
* an event older than ``MaximumEventAgeInSeconds`` is not retried again. Its age counts what
  Lambda itself spends on it: each attempt as long as it ran, and the documented waits before
  retries (which pass ``time_scale`` times faster here). Not scaled up are the attempts (they
  run at this machine's speed, and a busy machine's 6 s would read as an hour at a scale of 600,
  an age no event of a function with a 60 s timeout can reach on AWS) nor the time an event
  waits for one of the local cloud's few workers (Lambda would run it at once: the template
  reserves no concurrency);
* after the last attempt the event goes to the ``OnFailure`` destination with Lambda's
  destination record (request context, the event, the error): an SQS queue in moto, or an
  EventBridge bus, where it is the ``detail`` of a ``Lambda Function Invocation Result -
  Failure`` event from ``lambda`` (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).

Every attempt is kept in ``history`` so tests and the demo can account for every event.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient

    from localcloud.lambda_runtime.functions import Invocation, TemplateFunctions

RETRY_DELAYS = (60.0, 120.0)  # seconds before the first and the second retry


@dataclass(frozen=True)
class InvokeConfig:
    maximum_retry_attempts: int = 2
    maximum_event_age: float = 21600.0
    on_failure_queue_url: str | None = None
    on_failure_bus_arn: str | None = None


@dataclass
class AsyncEvent:
    function: str
    payload: Any
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received: float = field(default_factory=time.monotonic)
    age: float = 0.0
    """Seconds of age as Lambda counts them: its attempts' durations and its waits before retries."""
    attempts: list[Invocation] = field(default_factory=list)
    outcome: str = "queued"
    """queued, succeeded, or failed (retries exhausted: sent to the on-failure destination)."""


class AsyncInvoker:
    def __init__(
        self,
        functions: TemplateFunctions,
        *,
        configs: dict[str, InvokeConfig] | None = None,
        time_scale: float = 1.0,
        concurrency: int = 4,
        sqs: SQSClient | None = None,
        events: EventBridgeClient | None = None,
        on_event: Callable[[AsyncEvent], None] | None = None,
    ) -> None:
        self._functions = functions
        self._configs = configs or {}
        self._scale = time_scale
        self._sqs = sqs
        self._events = events
        self._on_event = on_event
        self._due: list[tuple[float, int, AsyncEvent]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._running = 0
        self._stopped = False
        self.history: list[AsyncEvent] = []
        self._workers = [
            threading.Thread(target=self._work, name=f"lambda-async-{i}", daemon=True)
            for i in range(concurrency)
        ]
        for worker in self._workers:
            worker.start()

    def invoke(self, function: str, payload: Any, *, delay: float = 0.0) -> AsyncEvent:
        """Queue an event (``Invoke`` with ``InvocationType=Event``); ``delay`` in seconds."""
        event = AsyncEvent(function, payload)
        with self._cond:
            self.history.append(event)
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), event))
            self._cond.notify()
        return event

    def drain(self, timeout: float) -> bool:
        """Wait until no event is queued, waiting for a retry, or running. False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._due or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._due or self._due[0][0] > time.monotonic()):
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, event = heapq.heappop(self._due)
                self._running += 1
            try:
                self._attempt(event)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def _attempt(self, event: AsyncEvent) -> None:
        config = self._configs.get(event.function, InvokeConfig())
        result = self._functions.invoke(event.function, event.payload)
        event.attempts.append(result)
        if not result.failed:
            event.outcome = "succeeded"
        else:
            retries = len(event.attempts) - 1
            delay = RETRY_DELAYS[min(retries, len(RETRY_DELAYS) - 1)]
            event.age += result.duration_ms / 1000
            if retries < config.maximum_retry_attempts and event.age + delay <= config.maximum_event_age:
                event.age += delay
                with self._cond:
                    due = time.monotonic() + delay / self._scale
                    heapq.heappush(self._due, (due, next(self._order), event))
                return
            event.outcome = "failed"
            self._send_to_destination(event, config, result)
        if self._on_event:
            self._on_event(event)

    def _send_to_destination(self, event: AsyncEvent, config: InvokeConfig, last: Invocation) -> None:
        queue = config.on_failure_queue_url if self._sqs is not None else None
        bus = config.on_failure_bus_arn if self._events is not None else None
        if not (queue or bus):
            return
        arn = self._functions.spec(event.function).arn or (
            f"arn:aws:lambda:us-east-1:123456789012:function:{event.function}"
        )
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": event.request_id,
                "functionArn": f"{arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": len(event.attempts),
            },
            "requestPayload": event.payload,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": last.error,
        }
        if queue and self._sqs is not None:
            self._sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(record))
        if bus and self._events is not None:
            self._events.put_events(
                Entries=[
                    {
                        "Source": "lambda",
                        "DetailType": "Lambda Function Invocation Result - Failure",
                        "Resources": [f"{arn}:$LATEST"],
                        "Detail": json.dumps(record),
                        "EventBusName": bus,
                    }
                ]
            )
