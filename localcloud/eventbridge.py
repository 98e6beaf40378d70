"""EventBridge rules that target Lambda functions (and SNS topics), for the local cloud.

moto keeps the buses, rules and targets, matches events against rule patterns and delivers to
SQS queues, log groups, archives and other buses, but it cannot run a Lambda function (that
needs Docker) and has no SNS targets. ``EventBus`` takes over exactly there: installed into
moto (running in this process), it lets moto's own rule matching decide, then

* hands each Lambda target's event to ``LambdaDeliveries`` (Lambda's asynchronous invocation,
  at least once and unordered), if the function's resource-based policy lets
  ``events.amazonaws.com`` invoke it for this rule, as Lambda checks;
* publishes each SNS target's event to the topic in moto's SNS;
* sends each SQS target's event to the queue in moto's SQS, shaped by the target's ``Input``,
  ``InputPath`` or ``InputTransformer`` (moto applies only the transformer), if the queue's
  policy lets ``events.amazonaws.com`` send it for this rule, as SQS checks; a FIFO target's
  ``SqsParameters.MessageGroupId`` names the group, and its delivery goes through
  ``LambdaDeliveries`` like a function's (at least once, unordered: the queue's content-based
  deduplication, which EventBridge requires of a FIFO target, removes the repeats it can);
* leaves every other target to moto.

Whatever puts the event on a bus (``PutEvents`` from any client, S3's EventBridge
notifications, AppConfig's deployment events) goes through the same path. A rule that is not
``ENABLED`` matches nothing (moto would still deliver). The event a target gets is shaped as
EventBridge sends it: ``time`` in ISO 8601, no internal fields
(https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html); ``Input``,
``InputPath`` and ``InputTransformer`` apply as documented
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from moto.events import models as moto_events

from localcloud.delivery import Delivery, QueueTarget
from localcloud.iam.conditions import context_of
from localcloud.iam.evaluation import Principal, Request, evaluate

if TYPE_CHECKING:
    from localcloud.delivery import LambdaDeliveries

_log = logging.getLogger("localcloud.eventbridge")
_installed_lock = threading.Lock()
_installed: EventBus | None = None


class Functions(Protocol):
    def target(self, arn: str) -> tuple[str, str]:
        """The function's logical ID and ARN; KeyError if there is no such function."""
        ...


class Policies(Protocol):
    def authorize_service(
        self, function_arn: str, service: str, context: dict[str, str] | None = None
    ) -> None:
        """Raise PermissionError unless ``service`` may invoke the function with this context."""
        ...


@dataclass(frozen=True)
class Undelivered:
    rule_arn: str
    target_arn: str
    reason: str
    event: dict[str, Any]


class EventBus:
    def __init__(self, deliveries: LambdaDeliveries, functions: Functions, policies: Policies) -> None:
        self._deliveries = deliveries
        self._functions = functions
        self._policies = policies
        self._original: Any = None
        self.undelivered: list[Undelivered] = []
        """Events EventBridge could not hand to a target (it retries, then drops them)."""

    def install(self) -> EventBus:
        global _installed  # noqa: PLW0603 - moto's rules are process-wide, and so is this hook
        with _installed_lock:
            if _installed is not None:
                raise RuntimeError("an EventBus is already installed into moto in this process")
            self._original = moto_events.Rule.send_to_targets
            bus = self

            def send_to_targets(rule: Any, event: Any, transform_input: bool = True) -> None:
                bus.send(rule, event, transform_input)

            moto_events.Rule.send_to_targets = send_to_targets  # type: ignore[method-assign, assignment]
            _installed = self
        return self

    def uninstall(self) -> None:
        global _installed  # noqa: PLW0603
        with _installed_lock:
            if self._original is not None:
                moto_events.Rule.send_to_targets = self._original  # type: ignore[method-assign]
                self._original = None
            if _installed is self:
                _installed = None

    def send(self, rule: Any, event: Any, transform_input: bool = True) -> None:
        if rule.state != "ENABLED" or not rule.event_pattern.matches_event(event):
            return
        delivered = as_delivered(event)
        others = []
        for target in rule.targets:
            service = str(target["Arn"]).split(":")[2]
            if service == "lambda":
                self._to_function(rule, target, delivered)
            elif service == "sns":
                self._to_topic(rule, target, delivered)
            elif service == "sqs":
                self._to_queue(rule, target, delivered)
            else:
                others.append(target)
        if others:
            rest = copy.copy(rule)
            rest.targets = others
            self._original(rest, event, transform_input)

    def _to_function(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        arn = str(target["Arn"])
        try:
            function, function_arn = self._functions.target(arn)
        except KeyError:
            self._drop(rule, arn, event, f"function {arn} does not exist")
            return
        # EventBridge invokes as events.amazonaws.com for the rule: a permission's SourceArn and
        # SourceAccount conditions are checked against the rule
        # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
        context = {"aws:SourceArn": rule.arn, "aws:SourceAccount": rule.account_id}
        try:
            self._policies.authorize_service(function_arn, "events.amazonaws.com", context)
        except PermissionError as denied:
            self._drop(rule, arn, event, f"the resource-based policy of {arn} does not allow it: {denied}")
            return
        self._deliveries.deliver(Delivery(f"events:{rule.arn}", function, target_input(target, event)))

    def _to_topic(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        from moto.sns.models import sns_backends

        arn = str(target["Arn"])
        account, region = arn.split(":")[4], arn.split(":")[3]
        try:
            message = json.dumps(target_input(target, event))
            sns_backends[account][region].publish(message=message, arn=arn)
        except Exception as error:  # EventBridge retries, then drops: never fails the PutEvents
            self._drop(rule, arn, event, f"publishing to {arn} failed: {error}")

    def _to_queue(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        from moto.sqs.models import sqs_backends

        arn = str(target["Arn"])
        account, region, name = arn.split(":")[4], arn.split(":")[3], arn.split(":")[5]
        try:
            queue = sqs_backends[account][region].get_queue(name)
        except Exception:
            self._drop(rule, arn, event, f"queue {arn} does not exist")
            return
        # SQS checks the queue's policy: EventBridge sends as events.amazonaws.com for the rule
        # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions).
        context = {"aws:SourceArn": rule.arn, "aws:SourceAccount": rule.account_id}
        request = Request(
            Principal("events.amazonaws.com", "service"), "sqs:SendMessage", (arn,), context_of(context)
        )
        policy = json.loads(queue.policy) if queue.policy else None
        if not evaluate(request, (), policy).allowed:
            self._drop(rule, arn, event, f"the policy of {arn} does not let EventBridge send to it")
            return
        body = target_input(target, event)
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if queue.fifo_queue:
            if not group:
                self._drop(rule, arn, event, f"{arn} is a FIFO queue and the target names no MessageGroupId")
                return
            self._deliveries.deliver(Delivery(f"events:{rule.arn}", name, body, QueueTarget(arn, str(group))))
            return
        self.send_now(arn, body, None)

    def send_to_queue(self, queue: QueueTarget, body: Any, delay: float) -> None:
        """``LambdaDeliveries``' sender: the message after ``delay`` seconds (a chaos delay)."""
        if delay <= 0:
            self.send_now(queue.arn, body, queue.message_group_id)
            return
        timer = threading.Timer(delay, self.send_now, (queue.arn, body, queue.message_group_id))
        timer.daemon = True
        timer.start()

    def send_now(self, arn: str, body: Any, group: str | None) -> None:
        from moto.sqs.models import sqs_backends

        account, region, name = arn.split(":")[4], arn.split(":")[3], arn.split(":")[5]
        try:
            sqs_backends[account][region].send_message(
                queue_name=name, message_body=json.dumps(body), group_id=group
            )
        except Exception as error:  # EventBridge retries, then drops: never fails the PutEvents
            _log.warning("EventBridge could not send to %s: %s", arn, error)
            self.undelivered.append(Undelivered("", arn, f"sending to {arn} failed: {error}", body))

    def _drop(self, rule: Any, target_arn: str, event: dict[str, Any], reason: str) -> None:
        _log.warning("EventBridge rule %s could not deliver to %s: %s", rule.arn, target_arn, reason)
        self.undelivered.append(Undelivered(rule.arn, target_arn, reason, event))


def as_delivered(event: Any) -> dict[str, Any]:
    """The event as a target receives it: moto keeps ``time`` as epoch seconds and adds its own fields."""
    delivered: dict[str, Any] = json.loads(json.dumps(event, default=str))
    delivered.pop("ingestion-time", None)
    moment = delivered.get("time")
    if isinstance(moment, int | float):
        delivered["time"] = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return delivered


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return _json_path(event, str(target["InputPath"]))
    if "InputTransformer" in target:
        from moto.events.utils import EventTemplateParser

        transformer = target["InputTransformer"]
        # moto's parser offers <aws.events.event.ingestion-time> from a field targets never see.
        parsed: Any = {"ingestion-time": event.get("time"), **event}
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=parsed,
        )
    return event


def _json_path(event: Any, path: str) -> Any:
    """InputPath's JSONPath, for the dotted paths EventBridge rules use (``$``, ``$.detail.object``)."""
    if path == "$":
        return event
    if not path.startswith("$."):
        raise ValueError(f"InputPath {path!r}: only $ and $.a.b paths are applied locally")
    value = event
    for step in path[2:].split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value
