"""The demo's scenarios as assertions: the real functions, the real extension, the local cloud."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from localcloud.pipeline import ROOT, LocalPipeline

if TYPE_CHECKING:
    from collections.abc import Iterator

    from localcloud.consumers import ConsumerEnvironment

FILES = ROOT / "demo"
POLL = "1"  # the extension's poll interval, seconds
URL_EVENT = json.loads((ROOT / "events" / "flags-api-get.json").read_text())
ORDERS_EVENT = json.loads((ROOT / "events" / "orders-sqs.json").read_text())


@pytest.fixture
def cloud() -> Iterator[LocalPipeline]:
    with LocalPipeline(time_scale=60) as pipeline:
        yield pipeline


# The rollback test's strategy bakes for the longest the template allows (24 minutes of real time
# at this scale, past the test's hang guard): the alarm must roll the harmful deployment back
# before the bake ends, and however busy the machine, the bake cannot run out first. The good
# upload before it skips its bake with pass_time.
BAKE_MINUTES = 1440


@pytest.fixture
def long_bake_cloud() -> Iterator[LocalPipeline]:
    with LocalPipeline(
        time_scale=60, parameters={"CustomStrategyBakeMinutes": str(BAKE_MINUTES)}
    ) as pipeline:
        yield pipeline


def upload(cloud: LocalPipeline, name: str, *, settle: bool = True) -> str:
    version = cloud.upload((FILES / name).read_bytes())
    if settle:
        cloud.settle()
    return version


def outcome(cloud: LocalPipeline, version: str) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {
        r["outcome"]: r for r in cloud.deploy_results() if r.get("versionId") == version
    }
    (result,) = results.values()  # every delivery of the version ended the same way
    return result


def flags_for(api: ConsumerEnvironment, **caller: str) -> dict[str, Any]:
    result = api.invoke({**URL_EVENT, "queryStringParameters": caller})
    assert not result.failed, result.error
    assert result.payload["statusCode"] == 200, result.payload
    flags: dict[str, Any] = json.loads(result.payload["body"])["flags"]
    return flags


def consumer(cloud: LocalPipeline, function: str) -> ConsumerEnvironment:
    return cloud.consumer(function, AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS=POLL)


def test_a_valid_upload_is_validated_deployed_and_evaluated_by_a_consumer(cloud: LocalPipeline) -> None:
    version = upload(cloud, "1-launch.yml")
    assert outcome(cloud, version)["outcome"] == "deployed"
    (deployment,) = cloud.deployments()
    assert (deployment["ConfigurationVersion"], deployment["State"]) == (version, "COMPLETE")
    api = consumer(cloud, "FlagsApiFunction")
    assert flags_for(api, tier="premium", region="eu-west-1") == {
        "free_shipping": True,
        "new_search": False,
        "payment_provider": "adyen",
    }
    assert flags_for(api, tier="standard", region="us-east-1")["payment_provider"] == "stripe"


def test_a_broken_upload_is_refused_with_line_and_column_and_changes_nothing(cloud: LocalPipeline) -> None:
    good = upload(cloud, "1-launch.yml")
    api = consumer(cloud, "FlagsApiFunction")
    before = flags_for(api, tier="premium", region="eu-west-1")

    broken = upload(cloud, "2-broken.yml")
    result = outcome(cloud, broken)
    assert result["outcome"] == "rejected"
    # The validator's precise errors reach the deploy function's log: path and line:column.
    assert re.search(r"\b6:\d+: \$\.free_shipping\.default: expected boolean", result["reason"]), result[
        "reason"
    ]
    assert re.search(
        r"\b11:\d+: \$\.free_shipping\.rules\['premium customers'\]\.conditions\[0\]\.action: "
        r".*did you mean EQUALS",
        result["reason"],
    )
    assert [d["ConfigurationVersion"] for d in cloud.deployments() if d["State"] == "COMPLETE"] == [good]
    cloud.pass_time(float(POLL) + 0.2)  # frozen past the poll interval: it polls, still the good one
    assert flags_for(api, tier="premium", region="eu-west-1") == before


def test_a_changed_file_reaches_the_consumer_once_the_poll_interval_has_passed(cloud: LocalPipeline) -> None:
    upload(cloud, "1-launch.yml")
    api = consumer(cloud, "FlagsApiFunction")
    assert flags_for(api, tier="free", region="us-east-1")["new_search"] is False
    upload(cloud, "3-search-for-everyone.yml")
    cloud.pass_time(float(POLL) + 0.2)  # frozen past the poll interval
    assert flags_for(api, tier="free", region="us-east-1")["new_search"] is True


def test_a_configuration_that_breaks_a_consumer_is_rolled_back_by_the_alarm(
    long_bake_cloud: LocalPipeline,
) -> None:
    cloud = long_bake_cloud
    good = upload(cloud, "1-launch.yml", settle=False)
    assert cloud.handled(60)  # delivered, validated, started; its rollout and bake go by at once
    cloud.pass_time(BAKE_MINUTES + 5)
    cloud.settle()
    assert {d["ConfigurationVersion"]: d["State"] for d in cloud.deployments()} == {good: "COMPLETE"}
    worker = consumer(cloud, "OrderWorkerFunction")
    assert not worker.invoke(ORDERS_EVENT).failed

    harmful = upload(cloud, "5-harmful.yml", settle=False)
    failures = 0
    deadline = time.monotonic() + 300  # a hang guard: the bake leaves the alarm a minute
    while time.monotonic() < deadline:
        failures += worker.invoke(ORDERS_EVENT).failed
        states = {d["ConfigurationVersion"]: d["State"] for d in cloud.deployments()}
        if states.get(harmful) in ("ROLLED_BACK", "COMPLETE"):
            break
        time.sleep(0.2)  # pacing only: each round is an invocation, as traffic would be

    deployment = next(d for d in cloud.deployments() if d["ConfigurationVersion"] == harmful)
    assert failures > 0
    assert deployment["State"] == "ROLLED_BACK"
    detail = cloud.client("appconfig").get_deployment(
        **cloud.ids(), DeploymentNumber=deployment["DeploymentNumber"]
    )
    assert any(e.get("TriggeredBy") == "CLOUDWATCH_ALARM" for e in detail["EventLog"])
    # Consumers serve the previous version again.
    cloud.pass_time(float(POLL) + 0.2)
    after = worker.invoke(ORDERS_EVENT)
    assert not after.failed, after.error
    assert {f["provider"] for f in after.payload["fulfilled"]} == {"adyen", "stripe"}
    assert cloud.deployments()[0]["ConfigurationVersion"] == harmful
    assert good in {d["ConfigurationVersion"] for d in cloud.deployments()}


def test_demo_files_exist_for_every_step() -> None:
    assert sorted(p.name for p in FILES.glob("*.yml")) == [
        "1-launch.yml",
        "2-broken.yml",
        "3-search-for-everyone.yml",
        "5-harmful.yml",
    ]
    assert all(Path(FILES / name).read_text().startswith("#") for name in ("2-broken.yml", "5-harmful.yml"))
