"""Stages on the local cloud with zero-time strategies (issue 14's two figures).

* **Promotion**: from a version's deployment reaching COMPLETE in staging to its promoted
  deployment starting in production (AppConfig's completion event, the status function, the
  deploy queue, the deploy function), beside the first stage's own path: from the S3 PUT to the
  staging deployment starting (S3's event, EventBridge, the deploy queue, the deploy function).
  Goal: at most 1 s beyond the bake time (zero here). Both are observed from this process,
  polling ListDeployments as fast as it answers.
* **Burst**: the settle time per upload of an interleaved burst to two configurations through
  two stages, beside the same number of uploads to one configuration in one stage (the stack's
  defaults). Goal: at most 1.5x.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from bench.harness import Figure, median, spread
from localcloud.pipeline import LocalPipeline

if TYPE_CHECKING:
    from collections.abc import Callable

ROUNDS = 5
BURSTS = 5
BURST = 20
UNTIL_SECONDS = 120
"""How long a round waits for one deployment before the run ends with what the stage holds."""
POLL_SECONDS = 0.02
ZERO_TIME = {"CustomStrategyDurationMinutes": "0", "CustomStrategyBakeMinutes": "0"}
TWO_BY_TWO = {"Configurations": "feature-file.yml,other.yml", "Environments": "staging,production"}


def run() -> list[Figure]:
    promotion, entry, many = [], [], []
    with LocalPipeline(time_scale=600, parameters={**ZERO_TIME, **TWO_BY_TWO}) as cloud:
        for n in range(ROUNDS):
            put = time.monotonic()
            version = cloud.upload(_document(n), cloud.keys[n % 2])
            started = _until(cloud, "staging", version, lambda state: state is not None)
            completed = _until(cloud, "staging", version, lambda state: state == "COMPLETE")
            promoted = _until(cloud, "production", version, lambda state: state is not None)
            entry.append((started - put) * 1000)
            promotion.append((promoted - completed) * 1000)
            cloud.settle()
        for _ in range(BURSTS):
            many.append(_burst(cloud, cloud.keys) / BURST)
    single = []
    with LocalPipeline(time_scale=600, parameters=ZERO_TIME) as cloud:
        for _ in range(BURSTS):
            single.append(_burst(cloud, cloud.keys) / BURST)
    return [
        Figure(
            f"stages: staging COMPLETE -> production deployment started ({spread(promotion)})",
            median(promotion),
            "ms",
            f"S3 PUT -> staging deployment started ({spread(entry)})",
            median(entry),
            goal="<= 1000 ms (bake 0)",
        ),
        Figure(
            f"stages: burst of {BURST} to 2 configurations x 2 stages, "
            f"settle time per upload ({spread(many, 's')})",
            median(many),
            "s",
            f"the same burst to 1 configuration x 1 stage ({spread(single, 's')})",
            median(single),
            goal="ratio <= 1.5",
        ),
    ]


def _burst(cloud: LocalPipeline, keys: list[str]) -> float:
    """Seconds from the first PUT of an interleaved burst to the pipeline settling."""
    started = time.monotonic()
    for n in range(BURST):
        cloud.upload(_document(n), keys[n % len(keys)])
    cloud.settle(timeout=600)
    return time.monotonic() - started


def _state(cloud: LocalPipeline, stage: str, version: str) -> str | None:
    items = cloud.client("appconfig").list_deployments(**cloud.ids(stage), MaxResults=5)["Items"]
    return next((d["State"] for d in items if d["ConfigurationVersion"] == version), None)


def _until(cloud: LocalPipeline, stage: str, version: str, done: Callable[[str | None], bool]) -> float:
    """The moment the version's deployment in ``stage`` is ``done``, to within a poll.

    Polls every 20 ms: the local cloud's servers share this process, and polling as fast as they
    answer took their time from the pipeline being measured. A pipeline that stalls ends the run
    with what the stage holds."""
    deadline = time.monotonic() + UNTIL_SECONDS
    while not done(_state(cloud, stage, version)):
        if time.monotonic() > deadline:
            held = [
                (d["DeploymentNumber"], d["ConfigurationVersion"], d["State"])
                for d in cloud.deployments(stage)
            ]
            raise TimeoutError(
                f"version {version} in {stage}: not there after {UNTIL_SECONDS} s; its deployments "
                f"(number, version, state): {held}"
            )
        time.sleep(POLL_SECONDS)
    return time.monotonic()


def _document(n: int) -> bytes:
    return json.dumps({"banner": {"default": n % 2 == 0}, f"release_{n}": {"default": True}}).encode()
