"""Lambda's error metrics and CloudWatch's evaluation of alarms on them, for the local cloud.

In AWS, Lambda publishes ``AWS/Lambda`` ``Errors`` for every invocation and CloudWatch evaluates
alarms every period. moto stores metric data and alarms but evaluates nothing, so this does it
for alarms over Lambda's ``Errors`` (a plain metric alarm, or metric math adding such metrics),
with the period scaled by the local cloud's time scale, and sets the state in moto, where the
local AppConfig service reads it as AWS AppConfig reads an environment's monitors.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.literals import StateValueType
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

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
        self, cloudwatch: CloudWatchClient, alarms: dict[str, dict[str, Any]], *, time_scale: float = 1.0
    ) -> None:
        self._cloudwatch = cloudwatch
        self._alarms = alarms
        """Alarm name -> definition (the template's; moto does not keep metric-math queries)."""
        self._scale = time_scale
        self._points: list[_Point] = []
        self._lock = threading.Lock()

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

    def evaluate(self) -> dict[str, str]:
        """Set every Lambda-errors alarm's state from the datapoints in its (scaled) window."""
        states: dict[str, str] = {}
        current = {
            a["AlarmName"]: a["StateValue"] for a in self._cloudwatch.describe_alarms()["MetricAlarms"]
        }
        for name, alarm in self._alarms.items():
            leaves = _error_metrics(alarm)
            if not leaves or name not in current:
                continue
            window = max(p * alarm.get("EvaluationPeriods", 1) for p in leaves.values()) / self._scale
            value = self._errors(set(leaves), window)
            breached = COMPARE[alarm["ComparisonOperator"]](value, float(alarm["Threshold"]))
            state: StateValueType = "ALARM" if breached else "OK"
            states[name] = state
            if current[name] != state:
                self._cloudwatch.set_alarm_state(
                    AlarmName=name,
                    StateValue=state,
                    StateReason=f"{value:g} Lambda errors in the last {window:g} s (local cloud evaluation)",
                )
        return states

    def _errors(self, functions: set[str], window: float) -> float:
        since = time.monotonic() - window
        with self._lock:
            self._points = [p for p in self._points if p.at >= time.monotonic() - 3600]
            return float(sum(p.errors for p in self._points if p.at >= since and p.function in functions))


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
