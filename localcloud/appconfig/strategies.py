"""Deployment strategies: AWS's predefined ones, and the schedule any strategy produces.

Predefined IDs, rollout and bake times follow
https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-deployment-strategy-predefined.html
"""

from __future__ import annotations

import math
from typing import Any

PREDEFINED: dict[str, dict[str, Any]] = {
    "AppConfig.Linear20PercentEvery6Minutes": {
        "Description": "AWS Recommended. This strategy deploys the configuration to 20% of all targets every "
        "six minutes for a 30 minute deployment. The system monitors for Amazon CloudWatch alarms for 30 "
        "minutes. If no alarms are received in this time, the deployment is complete.",
        "DeploymentDurationInMinutes": 30,
        "GrowthType": "LINEAR",
        "GrowthFactor": 20.0,
        "FinalBakeTimeInMinutes": 30,
    },
    "AppConfig.Canary10Percent20Minutes": {
        "Description": "AWS Recommended. This strategy processes the deployment exponentially using a 10% "
        "growth factor over 20 minutes. The system monitors for Amazon CloudWatch alarms for 10 minutes.",
        "DeploymentDurationInMinutes": 20,
        "GrowthType": "EXPONENTIAL",
        "GrowthFactor": 10.0,
        "FinalBakeTimeInMinutes": 10,
    },
    "AppConfig.AllAtOnce": {
        "Description": "Quick. This strategy deploys the configuration to all targets immediately. "
        "The system monitors for Amazon CloudWatch alarms for 10 minutes.",
        "DeploymentDurationInMinutes": 0,
        "GrowthType": "LINEAR",
        "GrowthFactor": 100.0,
        "FinalBakeTimeInMinutes": 10,
    },
    "AppConfig.Linear50PercentEvery30Seconds": {
        "Description": "Testing/Demonstration. This strategy deploys the configuration to half of all "
        "targets every 30 seconds for a one-minute deployment. The system monitors for Amazon "
        "CloudWatch alarms for 1 minute.",
        "DeploymentDurationInMinutes": 1,
        "GrowthType": "LINEAR",
        "GrowthFactor": 50.0,
        "FinalBakeTimeInMinutes": 1,
    },
}


def predefined() -> list[dict[str, Any]]:
    return [{"Id": sid, "Name": sid, "ReplicateTo": "NONE", **spec} for sid, spec in PREDEFINED.items()]


def steps(growth_type: str, growth_factor: float, duration_minutes: int) -> list[tuple[float, float]]:
    """(seconds after start, percentage of targets) for each step of the rollout.

    LINEAR grows by ``growth_factor`` percent a step; EXPONENTIAL deploys ``G * 2^N`` percent at
    step N (10, 20, 40, 80, 100 for G = 10), as the strategy page describes. Steps are spread
    evenly over the duration, the last one at its end; a zero duration deploys to every target
    at once.
    """
    duration = duration_minutes * 60.0
    factor = max(growth_factor, 0.01)
    if growth_type == "EXPONENTIAL":
        percentages: list[float] = []
        n = 0
        while not percentages or percentages[-1] < 100.0:
            percentages.append(min(100.0, factor * 2**n))
            n += 1
    else:
        count = math.ceil(100.0 / factor - 1e-9)
        percentages = [min(100.0, factor * (k + 1)) for k in range(count)]
    if duration <= 0:
        return [(0.0, 100.0)]
    return [(duration * (k + 1) / len(percentages), pct) for k, pct in enumerate(percentages)]
