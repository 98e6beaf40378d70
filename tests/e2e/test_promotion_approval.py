"""Manual approval (``PromotionApproval=manual``) with two configurations and two stages: a
version that completes staging waits there until ``rollout promote`` approves it; a version
rolled back in staging is never deployed to production, not even when someone approves it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from localcloud.pipeline import LocalPipeline
from tests.e2e.test_stages import TWO_BY_TWO, document, rollout, status_of

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e
BAKE_MINUTES = 600
"""Ten hours, a minute of real time at the scale, so an alarm has time to roll a deployment back;
the approval test skips it with pass_time."""


@pytest.fixture(scope="module")
def manual() -> Iterator[LocalPipeline]:
    parameters = {
        **TWO_BY_TWO,
        "PromotionApproval": "manual",
        "CustomStrategyDurationMinutes": "0",
        "CustomStrategyBakeMinutes": str(BAKE_MINUTES),
    }
    with LocalPipeline(time_scale=600, parameters=parameters) as cloud:
        yield cloud


def test_with_manual_approval_nothing_reaches_production_until_rollout_promote(manual: LocalPipeline) -> None:
    cloud = manual
    key = cloud.keys[0]
    version = cloud.upload(document(1), key)
    assert cloud.handled(60)  # decided and started; its bake goes by at once
    cloud.pass_time(BAKE_MINUTES * 60 + 60)
    cloud.settle()
    assert [(d["ConfigurationVersion"], d["State"]) for d in cloud.deployments("staging")] == [
        (version, "COMPLETE")
    ]
    assert cloud.deployments("production") == []
    assert status_of(cloud, key, version)["production"][0] == "pending"

    promote = rollout(cloud, "promote", version, "--to", "production", "--wait", "--timeout", "120")
    assert promote.stdout is not None
    promoted = promote.stdout.readline()  # printed once the approval's request is queued
    assert promoted.startswith(f"promoted version {version}"), promoted
    assert cloud.handled(60)  # the approval's request, decided and started
    assert [d["ConfigurationVersion"] for d in cloud.deployments("production")] == [version]
    cloud.pass_time(BAKE_MINUTES * 60 + 60)
    output, _ = promote.communicate(timeout=120)
    assert promote.returncode == 0, output
    assert "deployed: deployment 1 completed" in output
    assert status_of(cloud, key, version) == {"staging": ("deployed", 1), "production": ("deployed", 1)}
    # `rollout status`: every configuration, a column per stage with its status and deployment.
    shown = rollout(cloud, "status")
    table, _ = shown.communicate(timeout=120)
    assert shown.returncode == 0, table
    assert f"s3://{cloud.bucket}/{cloud.keys[1]}" in table
    header = next(line for line in table.splitlines() if line.startswith("VERSION"))
    assert header.split()[:3] == ["VERSION", "STAGING", "PRODUCTION"]
    row = next(line for line in table.splitlines() if line.startswith(version))
    assert row.split()[1:6] == ["*", "deployed", "#1", "deployed", "#1"]


def test_a_version_rolled_back_in_staging_is_never_deployed_to_production(manual: LocalPipeline) -> None:
    cloud = manual
    key = cloud.keys[1]
    alarm = cloud.stack.ref(cloud.logical_id("ConsumerErrorsAlarm", "staging"))
    cloudwatch = cloud.client("cloudwatch")
    version = cloud.upload(document(2), key)
    assert cloud.handled(60)  # its deployment bakes for a minute of real time
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="the consumers fail")
    try:
        cloud.settle(timeout=120)
    finally:
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test over")
    (deployment,) = [d for d in cloud.deployments("staging") if d["ConfigurationVersion"] == version]
    assert deployment["State"] == "ROLLED_BACK"
    assert status_of(cloud, key, version)["staging"][0] == "rolled-back"
    # Not even an approval takes it there.
    promote = rollout(cloud, "promote", version, "--to", "production")
    output, _ = promote.communicate(timeout=120)
    assert promote.returncode == 64, output
    assert "has not completed staging (rolled-back)" in output
    assert cloud.handled(60)
    assert version not in {d["ConfigurationVersion"] for d in cloud.deployments("production")}
    assert "production" not in status_of(cloud, key, version)


def test_a_newer_version_that_completes_staging_supersedes_the_one_waiting_for_approval(
    manual: LocalPipeline,
) -> None:
    cloud = manual
    key = cloud.keys[0]
    older = cloud.upload(document(3), key)
    assert cloud.handled(60)
    cloud.pass_time(BAKE_MINUTES * 60 + 60)
    cloud.settle()
    assert status_of(cloud, key, older)["production"][0] == "pending"
    newer = cloud.upload(document(4), key)
    assert cloud.handled(60)
    cloud.pass_time(BAKE_MINUTES * 60 + 60)
    cloud.settle()
    assert status_of(cloud, key, newer)["production"][0] == "pending"
    assert status_of(cloud, key, older)["production"][0] == "superseded"
    # An approval of the older one comes too late: the newer one is in service in staging.
    promote = rollout(cloud, "promote", older, "--to", "production")
    output, _ = promote.communicate(timeout=120)
    assert cloud.handled(60)
    assert older not in {d["ConfigurationVersion"] for d in cloud.deployments("production")}, output
    assert status_of(cloud, key, older)["production"][0] == "superseded"
