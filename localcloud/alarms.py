"""CloudWatch's evaluation of the stack's alarms, and their actions, for the local cloud.

In AWS, Lambda publishes ``AWS/Lambda`` ``Errors`` for every invocation, SQS publishes
``ApproximateNumberOfMessagesVisible`` for every queue, and CloudWatch evaluates each alarm
every period and sends its actions (an SNS topic gets CloudWatch's alarm message) when its
state changes. moto stores metric data and alarms but evaluates nothing and sends nothing, so
this does it, with the period scaled by the local cloud's time scale, for:

* alarms over Lambda's ``Errors`` (a plain metric alarm, or metric math adding such metrics);
* alarms over a queue's ``ApproximateNumberOfMessagesVisible`` (read from the queue itself);

and sets the state in moto, where the local AppConfig service reads it as AWS AppConfig reads
an environment's monitors. Other alarms (e.g. metric math over EMF metrics) keep moto's state.
Alarm messages: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-sns-notification.html
(the fields a subscriber reads; not every field AWS sends).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.literals import StateValueType
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

COMPARE = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


@dataclass(frozen=True)
class _Point:
    at: float
    function: str
    errors: int


class LambdaErrorAlarms:
    def __init__(
        self,
        cloudwatch: CloudWatchClient,
        alarms: dict[str, dict[str, Any]],
        *,
        time_scale: float = 1.0,
        sqs: SQSClient | None = None,
        sns: SNSClient | None = None,
    ) -> None:
        self._cloudwatch = cloudwatch
        self._alarms = alarms
        """Alarm name -> definition (the template's; moto does not keep metric-math queries)."""
        self._scale = time_scale
        self._sqs = sqs
        self._sns = sns
        self._points: list[_Point] = []
        self._lock = threading.Lock()
        self._evaluating = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent: list[dict[str, Any]] = []
        """Every alarm message sent to an action, for diagnostics."""

    def record(self, function_name: str, *, failed: bool) -> None:
        """One invocation's metrics, as Lambda publishes them; then evaluate the alarms."""
        dimensions: list[DimensionTypeDef] = [{"Name": "FunctionName", "Value": function_name}]
        self._cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {"MetricName": "Invocations", "Dimensions": dimensions, "Value": 1, "Unit": "Count"},
                {"MetricName": "Errors", "Dimensions": dimensions, "Value": int(failed), "Unit": "Count"},
            ],
        )
        with self._lock:
            self._points.append(_Point(time.monotonic(), function_name, int(failed)))
        self.evaluate()

    def start(self, every: float = 0.2) -> LambdaErrorAlarms:
        """Evaluate on a schedule too, as CloudWatch does: a queue fills up without any invocation."""

        def tick() -> None:
            while not self._stop.wait(every):
                self.evaluate()

        self._thread = threading.Thread(target=tick, name="local-cloudwatch-alarms", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def evaluate(self) -> dict[str, str]:
        """Set each alarm's state from its metric in the (scaled) window; send actions on changes."""
        with self._evaluating:
            states: dict[str, str] = {}
            current = {a["AlarmName"]: a for a in self._cloudwatch.describe_alarms()["MetricAlarms"]}
            for name, alarm in self._alarms.items():
                if name not in current:
                    continue
                measured = self._measure(alarm)
                if measured is None:
                    continue
                value, why = measured
                breached = COMPARE[alarm["ComparisonOperator"]](value, float(alarm["Threshold"]))
                state: StateValueType = "ALARM" if breached else "OK"
                states[name] = state
                previous = current[name]["StateValue"]
                if previous != state:
                    reason = f"{why} (local cloud evaluation)"
                    self._cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)
                    self._act(current[name], alarm, previous, state, reason)
            return states

    def _measure(self, alarm: dict[str, Any]) -> tuple[float, str] | None:
        leaves = _error_metrics(alarm)
        if leaves:
            window = max(p * int(alarm.get("EvaluationPeriods", 1)) for p in leaves.values()) / self._scale
            value = self._errors(set(leaves), window)
            return value, f"{value:g} Lambda errors in the last {window:g} s"
        queue = _queue_depth_metric(alarm)
        if queue is not None and self._sqs is not None:
            url = self._sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            depth = float(attributes["ApproximateNumberOfMessages"])
            return depth, f"{depth:g} messages visible on {queue}"
        return None

    def _act(
        self, described: Mapping[str, Any], alarm: dict[str, Any], previous: str, state: str, reason: str
    ) -> None:
        actions = {"ALARM": "AlarmActions", "OK": "OKActions"}[state]
        for arn in described.get(actions) or alarm.get(actions) or []:
            if ":sns:" not in str(arn) or self._sns is None:
                continue
            message = {
                "AlarmName": described["AlarmName"],
                "AlarmDescription": described.get("AlarmDescription"),
                "AWSAccountId": str(arn).split(":")[4],
                "NewStateValue": state,
                "NewStateReason": reason,
                "StateChangeTime": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "Region": str(arn).split(":")[3],
                "AlarmArn": described.get("AlarmArn"),
                "OldStateValue": previous,
            }
            self._sns.publish(
                TopicArn=arn,
                Subject=f'{state}: "{described["AlarmName"]}"'[:100],
                Message=json.dumps(message),
            )
            self.sent.append(message)

    def _errors(self, functions: set[str], window: float) -> float:
        since = time.monotonic() - window
        with self._lock:
            self._points = [p for p in self._points if p.at >= time.monotonic() - 3600]
            return float(sum(p.errors for p in self._points if p.at >= since and p.function in functions))


def _queue_depth_metric(alarm: dict[str, Any]) -> str | None:
    """The queue of a plain ``AWS/SQS`` ``ApproximateNumberOfMessagesVisible`` alarm."""
    if (alarm.get("Namespace"), alarm.get("MetricName")) != ("AWS/SQS", "ApproximateNumberOfMessagesVisible"):
        return None
    return next((d["Value"] for d in alarm.get("Dimensions", []) if d["Name"] == "QueueName"), None)


def _error_metrics(alarm: dict[str, Any]) -> dict[str, int]:
    """FunctionName -> period of each Lambda ``Errors`` metric the alarm adds up (Sum statistic)."""
    found: dict[str, int] = {}
    if alarm.get("Namespace") == "AWS/Lambda" and alarm.get("MetricName") == "Errors":
        for dimension in alarm.get("Dimensions", []):
            if dimension["Name"] == "FunctionName":
                found[dimension["Value"]] = int(alarm.get("Period", 60))
    for query in alarm.get("Metrics", []):
        stat = query.get("MetricStat")
        if not stat:
            if "+" not in query.get("Expression", "+") and "SUM" not in query.get("Expression", ""):
                return {}  # only sums of error counts are evaluated here
            continue
        metric = stat["Metric"]
        if metric.get("Namespace") == "AWS/Lambda" and metric.get("MetricName") == "Errors":
            for dimension in metric.get("Dimensions", []):
                if dimension["Name"] == "FunctionName":
                    found[dimension["Value"]] = int(stat.get("Period", 60))
    return found
