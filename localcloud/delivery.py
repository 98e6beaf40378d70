"""How event sources hand events to Lambda's asynchronous invocation in the local cloud.

S3 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html) and
EventBridge (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html ... "at
least once") both deliver at least once and in no guaranteed order. Every delivery to a
function, whatever its source, passes through one ``LambdaDeliveries``, where ``DeliveryChaos``
makes that happen on purpose (duplicates, random delays) and ``holding`` keeps deliveries for a
test, or for ``sam local invoke``, to hand over itself.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Invoke = Callable[[str, dict[str, Any], float], None]
"""(function logical ID, event, delay in seconds): Lambda's asynchronous Invoke."""


@dataclass
class DeliveryChaos:
    """What at-least-once, unordered delivery allows, made to happen on purpose."""

    duplicate_probability: float = 0.0
    max_delay: float = 0.0
    """Each delivery waits a random 0..max_delay seconds, so later events may arrive first."""
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - test traffic, not cryptography

    def deliveries(self) -> list[float]:
        copies = 2 if self._random.random() < self.duplicate_probability else 1
        return [self._random.uniform(0, self.max_delay) for _ in range(copies)]


@dataclass(frozen=True)
class Delivery:
    source: str
    """Who delivers: ``events:<rule ARN>`` or ``s3:<bucket>``."""
    function: str
    """The target function's logical ID."""
    event: dict[str, Any]


class LambdaDeliveries:
    def __init__(self, invoke: Invoke, chaos: DeliveryChaos | None = None) -> None:
        self._invoke = invoke
        self.chaos = chaos or DeliveryChaos()
        """How deliveries are duplicated and delayed; may be replaced while running."""
        self.holding = False
        """While True, deliveries are kept in ``held`` and not invoked (someone else hands them over)."""
        self.on_hold: Callable[[Delivery], None] | None = None
        """Called with each delivery kept while holding."""
        self.held: list[Delivery] = []
        self.delivered: list[Delivery] = []
        self._lock = threading.Lock()

    def deliver(self, delivery: Delivery) -> None:
        with self._lock:
            held = self.holding
            if held:
                self.held.append(delivery)
                delays: list[float] = []
            else:
                self.delivered.append(delivery)
                delays = self.chaos.deliveries()
        if held and self.on_hold:
            self.on_hold(delivery)
        for delay in delays:
            self._invoke(delivery.function, delivery.event, delay)

    def release(self) -> int:
        """Stop holding and deliver what was held, in the order it came; returns how many."""
        with self._lock:
            self.holding = False
            held, self.held = self.held, []
        for delivery in held:
            self.deliver(delivery)
        return len(held)
