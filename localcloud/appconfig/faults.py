"""Fault injection: make the service misbehave on purpose, from outside the code under test.

Rules are set through ``LocalAppConfig.faults`` in-process, or over HTTP at
``/_localcloud/faults`` (see ``server``). A rule matches an operation name (``StartDeployment``,
``GetLatestConfiguration``, or ``*`` for every operation) and is consumed call by call:

* ``fail_next(op, error=..., count=N)``: the next N calls answer with that modelled error;
* ``throttle(op, count=N)`` / ``throttle(op, per_second=R)``: ``ThrottlingException`` (429),
  for N calls or whenever calls exceed R per second (a token bucket);
* ``delay(op, seconds, count=N)``: hold the response (real seconds, never scaled: it stands for
  network latency and exercises client timeouts).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from localcloud.appconfig.errors import ServiceError

STATUS = {
    "BadRequestException": 400,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ServiceQuotaExceededException": 402,
    "PayloadTooLargeException": 413,
    "ThrottlingException": 429,
    "InternalServerException": 500,
}


@dataclass
class Rule:
    operation: str
    kind: str  # "error" | "delay" | "rate"
    error: str = "InternalServerException"
    status: int = 500
    message: str = "Injected fault"
    remaining: int | None = 1
    """Calls left; None = until cleared."""
    seconds: float = 0.0
    per_second: float = 0.0
    _tokens: float = field(default=0.0, repr=False)
    _refilled: float = field(default=0.0, repr=False)

    def matches(self, operation: str) -> bool:
        return self.operation in ("*", operation)

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


class Faults:
    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._lock = threading.Lock()

    def fail_next(
        self,
        operation: str,
        *,
        error: str = "InternalServerException",
        count: int | None = 1,
        status: int | None = None,
        message: str | None = None,
    ) -> Rule:
        rule = Rule(
            operation, "error", error, status or STATUS.get(error, 500), message or f"Injected {error}", count
        )
        return self._add(rule)

    def throttle(self, operation: str, *, count: int | None = 1, per_second: float | None = None) -> Rule:
        if per_second is not None:
            rule = Rule(
                operation,
                "rate",
                "ThrottlingException",
                429,
                "Rate exceeded",
                None,
                per_second=per_second,
                _tokens=per_second,
                _refilled=time.monotonic(),
            )
            return self._add(rule)
        return self.fail_next(operation, error="ThrottlingException", count=count, message="Rate exceeded")

    def delay(self, operation: str, seconds: float, *, count: int | None = None) -> Rule:
        return self._add(Rule(operation, "delay", remaining=count, seconds=seconds))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.public() for rule in self._rules]

    def apply(self, operation: str) -> None:
        """Called before each operation: sleeps for delays, raises the injected error if any."""
        delay = 0.0
        failure: ServiceError | None = None
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(operation):
                    continue
                if rule.kind == "delay":
                    delay += rule.seconds
                    self._consume(rule)
                elif rule.kind == "rate":
                    if not self._take_token(rule) and failure is None:
                        failure = ServiceError(rule.error, rule.status, rule.message)
                elif failure is None:
                    failure = ServiceError(rule.error, rule.status, rule.message)
                    self._consume(rule)
        if delay:
            time.sleep(delay)
        if failure is not None:
            raise failure

    def configure(self, spec: dict[str, Any]) -> Rule:
        """One rule from its JSON form (the HTTP control interface)."""
        kind = spec.get("kind", "error")
        operation = str(spec.get("operation", "*"))
        count = spec.get("count", 1)
        if kind == "delay":
            return self.delay(operation, float(spec["seconds"]), count=count)
        if kind == "throttle":
            per_second = spec.get("per_second")
            return self.throttle(
                operation, count=count, per_second=None if per_second is None else float(per_second)
            )
        return self.fail_next(
            operation,
            error=str(spec.get("error", "InternalServerException")),
            count=count,
            status=spec.get("status"),
            message=spec.get("message"),
        )

    def _add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def _consume(self, rule: Rule) -> None:
        if rule.remaining is None:
            return
        rule.remaining -= 1
        if rule.remaining <= 0:
            self._rules.remove(rule)

    @staticmethod
    def _take_token(rule: Rule) -> bool:
        now = time.monotonic()
        rule._tokens = min(rule.per_second, rule._tokens + (now - rule._refilled) * rule.per_second)
        rule._refilled = now
        if rule._tokens >= 1.0:
            rule._tokens -= 1.0
            return True
        return False
