"""``make demo``'s last part: a second stack, with two configurations and two stages.

``Configurations=feature-file.yml,other.yml`` and ``Environments=staging,production``: both
files uploaded together deploy to staging one after the other (AppConfig deploys one
configuration at a time per environment), each is promoted to production once it completes
staging, and a harmful version rolled back in staging never reaches production.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from localcloud.pipeline import ROOT, LocalPipeline

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.consumers import ConsumerEnvironment
    from localcloud.demo import Narrator

FILES = ROOT / "demo"
PARAMETERS = {"Configurations": "feature-file.yml,other.yml", "Environments": "staging,production"}


def run(
    n: Narrator, *, time_scale: float, poll_interval: str, orders: Callable[[ConsumerEnvironment], str]
) -> None:
    """``orders(worker)``: the demo's order-taking call (its answer, or ``failed: ...``)."""
    n.step(
        "7. Two configurations and two stages: a second stack, "
        + ", ".join(f"{k}={v}" for k, v in PARAMETERS.items())
    )
    with LocalPipeline(time_scale=time_scale, parameters=PARAMETERS) as cloud:
        first, second = cloud.keys
        a = cloud.upload((FILES / "1-launch.yml").read_bytes(), first)
        b = cloud.upload((FILES / "3-search-for-everyone.yml").read_bytes(), second)
        n.say(f"uploaded {first} as {a[:8]}… and {second} as {b[:8]}… together")
        cloud.settle(timeout=180)
        for stage in cloud.environments:
            shown = [
                f"#{d['DeploymentNumber']} {d['ConfigurationName']} {d['ConfigurationVersion'][:8]}… "
                + d["State"]
                for d in reversed(cloud.deployments(stage))
            ]
            n.say(f"{stage}: " + "; ".join(shown))
        staging = [(d["ConfigurationVersion"], d["State"]) for d in reversed(cloud.deployments("staging"))]
        production = [
            (d["ConfigurationVersion"], d["State"]) for d in reversed(cloud.deployments("production"))
        ]
        n.check(
            staging == [(a, "COMPLETE"), (b, "COMPLETE")],
            "staging deployed the two one after the other, in upload order",
        )
        n.check(
            not any(i.failed for i in cloud.deploy_invocations()),
            "no request failed for the other's deployment",
        )
        n.check(
            production == staging,
            "each was promoted to production, the same S3 version, once it completed staging",
        )

        n.step("8. A harmful version in staging: rolled back there, never promoted")
        settings = {"AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS": poll_interval}
        worker: ConsumerEnvironment = cloud.consumer("OrderWorkerFunction", stage="staging", **settings)
        harmful = cloud.upload((FILES / "5-harmful.yml").read_bytes(), first)
        n.say(f"uploaded {first} as {harmful[:8]}…; the staging order worker keeps taking orders")
        failures, deadline = 0, time.monotonic() + 120
        while time.monotonic() < deadline:
            failures += orders(worker).startswith("failed")
            state = next(
                (d["State"] for d in cloud.deployments("staging") if d["ConfigurationVersion"] == harmful),
                None,
            )
            if state in ("ROLLED_BACK", "COMPLETE"):
                break
            time.sleep(0.25)  # pacing only: each round is an order, as traffic would be
        cloud.settle(timeout=120)
        n.say(f"the staging worker failed {failures} invocation(s)")
        state = next(d["State"] for d in cloud.deployments("staging") if d["ConfigurationVersion"] == harmful)
        n.check(
            failures > 0 and state == "ROLLED_BACK", "the staging alarm fired and AppConfig rolled it back"
        )
        later = {d["ConfigurationVersion"] for d in cloud.deployments("production")}
        n.check(harmful not in later, "production never got it: a rollback stops the promotion")
