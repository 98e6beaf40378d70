"""Fault injection: make the service misbehave on purpose, from outside the code under test.

Rules are set through ``LocalAppConfig.faults`` in-process, or over HTTP at
``/_localcloud/faults`` (see ``server``). A rule matches an operation name (``StartDeployment``,
``GetLatestConfiguration``, or ``*`` for every operation) and is consumed call by call:

* ``fail_next(op, error=..., count=N)``: the next N calls answer with that modelled error;
* ``throttle(op, count=N)`` / ``throttle(op, per_second=R)``: ``ThrottlingException`` (429),
  for N calls or whenever calls exceed R per second (a token bucket);
* ``delay(op, seconds, count=N)``: hold the response (real seconds, never scaled: it stands for
  network latency and exercises client timeouts);
* ``fail_call(op, where={...}, count=N)``: every attempt of the next N SDK calls whose request
  has those parameters (``{"ConfigurationVersion": v}``), however often the SDK retries them, so
  the caller sees the error whatever else runs at the same time. AWS SDKs name each call in
  ``amz-sdk-invocation-id`` (the same on every retry) and its attempt in ``amz-sdk-request``
  (``attempt=N; max=M``); a request without them counts as a call of one attempt.

``fail_next``, ``throttle`` and ``delay`` take ``where`` too.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.appconfig.errors import ServiceError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

STATUS = {
    "BadRequestException": 400,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ServiceQuotaExceededException": 402,
    "PayloadTooLargeException": 413,
    "ThrottlingException": 429,
    "InternalServerException": 500,
}


@dataclass(frozen=True)
class SdkAttempt:
    """Which attempt of which SDK call a request is, from the headers AWS SDKs send."""

    invocation_id: str | None = None
    attempt: int | None = None
    max_attempts: int | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> SdkAttempt:
        lower = {name.lower(): value for name, value in headers.items()}
        fields: dict[str, int] = {}
        for part in lower.get("amz-sdk-request", "").split(";"):
            name, _, value = part.strip().partition("=")
            if value.isdigit():
                fields[name] = int(value)
        return cls(lower.get("amz-sdk-invocation-id"), fields.get("attempt"), fields.get("max"))

    @property
    def last(self) -> bool:
        """True when the SDK will not retry this request (or nothing says it would)."""
        if self.invocation_id is None or self.attempt is None or self.max_attempts is None:
            return True
        return self.attempt >= self.max_attempts


NO_SDK = SdkAttempt()


@dataclass
class Rule:
    operation: str
    kind: str  # "error" | "delay" | "rate" | "call"
    error: str = "InternalServerException"
    status: int = 500
    message: str = "Injected fault"
    remaining: int | None = 1
    """Calls left; None = until cleared."""
    seconds: float = 0.0
    per_second: float = 0.0
    where: dict[str, str] = field(default_factory=dict)
    """Request parameters a call must have (compared as text) for the rule to apply."""
    _tokens: float = field(default=0.0, repr=False)
    _refilled: float = field(default=0.0, repr=False)
    _call: str | None = field(default=None, repr=False)
    """For "call" rules: the SDK call being failed, until its last attempt."""

    def matches(self, operation: str, params: Mapping[str, Any]) -> bool:
        if self.operation not in ("*", operation):
            return False
        return all(str(params.get(name)) == value for name, value in self.where.items())

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


class Faults:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        """``clock``: real seconds for rate rules (a test may pass its own)."""
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._clock = clock

    def fail_next(
        self,
        operation: str,
        *,
        error: str = "InternalServerException",
        count: int | None = 1,
        status: int | None = None,
        message: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> Rule:
        return self._add(
            self._error_rule(
                "error", operation, error=error, count=count, status=status, message=message, where=where
            )
        )

    def fail_call(
        self,
        operation: str,
        *,
        where: Mapping[str, str] | None = None,
        error: str = "InternalServerException",
        count: int | None = 1,
        status: int | None = None,
        message: str | None = None,
    ) -> Rule:
        """Every attempt of the next ``count`` SDK calls that match: the SDK's retries cannot absorb it."""
        return self._add(
            self._error_rule(
                "call", operation, error=error, count=count, status=status, message=message, where=where
            )
        )

    def throttle(
        self,
        operation: str,
        *,
        count: int | None = 1,
        per_second: float | None = None,
        where: Mapping[str, str] | None = None,
    ) -> Rule:
        """``per_second``: a token bucket holding max(1, R) calls, refilled at R a second."""
        if per_second is not None:
            burst = max(1.0, per_second)
            rule = Rule(
                operation,
                "rate",
                "ThrottlingException",
                429,
                "Rate exceeded",
                None,
                per_second=per_second,
                where=dict(where or {}),
                _tokens=burst,
                _refilled=self._clock(),
            )
            return self._add(rule)
        return self.fail_next(
            operation, error="ThrottlingException", count=count, message="Rate exceeded", where=where
        )

    def delay(
        self,
        operation: str,
        seconds: float,
        *,
        count: int | None = None,
        where: Mapping[str, str] | None = None,
    ) -> Rule:
        return self._add(Rule(operation, "delay", remaining=count, seconds=seconds, where=dict(where or {})))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.public() for rule in self._rules]

    def apply(
        self, operation: str, params: Mapping[str, Any] | None = None, attempt: SdkAttempt = NO_SDK
    ) -> None:
        """Called before each operation: sleeps for delays, raises the injected error if any."""
        delay = 0.0
        failure: ServiceError | None = None
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(operation, params or {}):
                    continue
                if rule.kind == "delay":
                    delay += rule.seconds
                    self._consume(rule)
                elif rule.kind == "rate":
                    if not self._take_token(rule) and failure is None:
                        failure = ServiceError(rule.error, rule.status, rule.message)
                elif rule.kind == "call":
                    # Bound to the first matching call; another call meanwhile is not this rule's.
                    if rule._call is not None and rule._call != attempt.invocation_id:
                        continue
                    rule._call = attempt.invocation_id
                    failure = failure or ServiceError(rule.error, rule.status, rule.message)
                    if attempt.last:
                        rule._call = None
                        self._consume(rule)
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
        where = spec.get("where") or {}
        if not isinstance(where, dict):
            raise TypeError("where must be an object of parameter names to values")
        where = {str(name): str(value) for name, value in where.items()}
        if kind == "delay":
            return self.delay(operation, float(spec["seconds"]), count=count, where=where)
        if kind == "throttle":
            per_second = spec.get("per_second")
            return self.throttle(
                operation,
                count=count,
                per_second=None if per_second is None else float(per_second),
                where=where,
            )
        if kind not in ("error", "call"):
            raise ValueError(f"unknown fault kind {kind!r}: error, call, throttle or delay")
        add = self.fail_call if kind == "call" else self.fail_next
        return add(
            operation,
            error=str(spec.get("error", "InternalServerException")),
            count=count,
            status=spec.get("status"),
            message=spec.get("message"),
            where=where,
        )

    @staticmethod
    def _error_rule(
        kind: str,
        operation: str,
        *,
        error: str,
        count: int | None,
        status: int | None,
        message: str | None,
        where: Mapping[str, str] | None,
    ) -> Rule:
        return Rule(
            operation,
            kind,
            error,
            status or STATUS.get(error, 500),
            message or f"Injected {error}",
            count,
            where=dict(where or {}),
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

    def _take_token(self, rule: Rule) -> bool:
        now = self._clock()
        burst = max(1.0, rule.per_second)
        rule._tokens = min(burst, rule._tokens + (now - rule._refilled) * rule.per_second)
        rule._refilled = now
        if rule._tokens >= 1.0:
            rule._tokens -= 1.0
            return True
        return False
