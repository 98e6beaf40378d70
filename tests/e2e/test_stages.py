"""Two configurations and two stages from one stack: the issue's "Done when", end to end.

Uploads of both configurations share the first stage (staging): they deploy there one after
another, in upload order, and none is failed for another's deployment; a version that completes
staging is promoted, the same S3 version, to production (at once, or when ``rollout promote``
approves it: test_promotion_approval.py); a version rolled back in staging never reaches
production.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from rollout_status.store import StatusStore

from localcloud.pipeline import ROOT, LocalPipeline

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e
TWO_BY_TWO = {"Configurations": "feature-file.yml,other.yml", "Environments": "staging,production"}
ZERO_TIME = {"CustomStrategyDurationMinutes": "0", "CustomStrategyBakeMinutes": "0"}
UPLOADS = 50
FINAL_IN_STAGING = {"deployed", "superseded"}


def document(n: int) -> bytes:
    return json.dumps({"banner": {"default": n % 2 == 0}, "n": {"default": True}}).encode()


def status_of(cloud: LocalPipeline, key: str, version: str) -> dict[str, tuple[str, int | None]]:
    """The version's status in each stage: (status, deployment number)."""
    record, _ = StatusStore(cloud.client("s3"), None, bucket=cloud.bucket, key=key).read(version)
    assert record is not None, f"{key}@{version} has no record"
    return {name: (s.status.value, s.deployment_number) for name, s in record.environments.items()}


def failure_queue_is_empty(cloud: LocalPipeline) -> bool:
    queue = cloud.stack.ref("DeployFailureQueue")
    return "Messages" not in cloud.client("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=0)


def rollout(cloud: LocalPipeline, *args: str) -> subprocess.Popen[str]:
    """The ``rollout`` command in its own process; its lines arrive as it prints them."""
    return subprocess.Popen(
        [sys.executable, "-m", "rollout", "--stack", cloud.stack_name, *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def auto() -> Iterator[LocalPipeline]:
    with LocalPipeline(time_scale=600, parameters={**TWO_BY_TWO, **ZERO_TIME}) as cloud:
        yield cloud


def test_two_configurations_uploaded_together_deploy_one_after_the_other(auto: LocalPipeline) -> None:
    cloud = auto
    first, second = cloud.keys
    a = cloud.upload(document(1), first)
    b = cloud.upload(document(2), second)
    cloud.settle(timeout=120)
    for stage in cloud.environments:
        # Newest first: the second configuration's deployment came after the first's.
        deployments = [
            (d["ConfigurationName"], d["ConfigurationVersion"], d["State"]) for d in cloud.deployments(stage)
        ]
        assert deployments[:2] == [("other.yml", b, "COMPLETE"), ("feature-file.yml", a, "COMPLETE")]
    assert not any(i.failed for i in cloud.deploy_invocations())
    assert failure_queue_is_empty(cloud)
    # The same S3 version in both stages, each with its own deployment number.
    assert status_of(cloud, first, a) == {"staging": ("deployed", 1), "production": ("deployed", 1)}
    assert status_of(cloud, second, b) == {"staging": ("deployed", 2), "production": ("deployed", 2)}


# Hang guards that a busy machine does not outlast: each stage takes the burst one request at a time.
@pytest.mark.timeout(900)
def test_an_interleaved_burst_ends_with_each_last_upload_in_both_stages(auto: LocalPipeline) -> None:
    cloud = auto
    uploads = [(cloud.keys[n % 2], cloud.upload(document(n), cloud.keys[n % 2])) for n in range(UPLOADS)]
    cloud.settle(timeout=600)
    order = [version for _, version in uploads]
    for stage in cloud.environments:
        deployments = cloud.deployments(stage)
        for key in cloud.keys:
            last = [version for k, version in uploads if k == key][-1]
            ours = [d for d in deployments if d["ConfigurationName"] == key]
            assert (ours[0]["ConfigurationVersion"], ours[0]["State"]) == (last, "COMPLETE"), stage
        # No version deployed twice in a stage; the burst's deployments in upload order.
        started = Counter(d["ConfigurationVersion"] for d in deployments)
        assert started.most_common(1)[0][1] == 1, stage
        burst = [
            d["ConfigurationVersion"] for d in reversed(deployments) if d["ConfigurationVersion"] in order
        ]
        assert burst == sorted(burst, key=order.index), stage
    assert not any(i.failed for i in cloud.deploy_invocations())
    assert failure_queue_is_empty(cloud)
    # Every version is accounted for in each stage it reached: a version that never completed
    # staging never entered production.
    for key, version in uploads:
        status = status_of(cloud, key, version)
        assert status["staging"][0] in FINAL_IN_STAGING, (key, version, status)
        if status["staging"][0] == "deployed":
            assert status["production"][0] in FINAL_IN_STAGING, (key, version, status)
        else:
            assert status.get("production", ("superseded",))[0] == "superseded", (key, version, status)
