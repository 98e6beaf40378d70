"""Deployments through boto3: strategies, event log, one-at-a-time, stop/revert, alarm rollback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import WaiterError

from tests.integration.appconfig_service.conftest import ROLE, World

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_appconfig.type_defs import DeploymentTypeDef

    from localcloud.appconfig import LocalAppConfig

pytestmark = pytest.mark.integration

DEPLOYING_PAGE = "https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying.html"
REVERTING_PAGE = "https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying-reverting.html"
PREDEFINED_PAGE = "https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-deployment-strategy-predefined.html"


def events(deployment: DeploymentTypeDef) -> list[tuple[str, str]]:
    return [(e["EventType"], e["TriggeredBy"]) for e in deployment["EventLog"]]


def test_start_deployment_answers_the_deployment(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StartDeployment.html
    (201, the Deployment)."""
    version = world.put("a: 1")
    started = world.start(version, "AppConfig.Linear50PercentEvery30Seconds", Description="first")
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert started["DeploymentNumber"] == 1
    assert started["State"] == "DEPLOYING"
    assert started["ConfigurationVersion"] == version
    assert started["ConfigurationProfileId"] == world.profile_id
    assert started["ConfigurationLocationUri"] == "s3://config-bucket/feature-file.yml"
    assert (started["GrowthType"], started["GrowthFactor"], started["DeploymentDurationInMinutes"]) == (
        "LINEAR",
        50.0,
        1,
    )
    assert events(started) == [("DEPLOYMENT_STARTED", "USER")]
    assert started["PercentageComplete"] == 0.0
    env = world.appconfig.get_environment(ApplicationId=world.app_id, EnvironmentId=world.env_id)
    assert env["State"] == "DEPLOYING"


def test_linear_strategy_steps_then_bakes(world: World) -> None:
    """PREDEFINED_PAGE: Linear50PercentEvery30Seconds, 50 % every 30 s, 1 minute, then 1 minute of bake."""
    world.start(world.put("a: 1"), "AppConfig.Linear50PercentEvery30Seconds")
    world.cloud.clock.advance(29)
    assert world.deployment(1)["PercentageComplete"] == 0.0
    world.cloud.clock.advance(1)
    at_30 = world.deployment(1)
    assert (at_30["State"], at_30["PercentageComplete"]) == ("DEPLOYING", 50.0)
    world.cloud.clock.advance(30)
    at_60 = world.deployment(1)
    assert (at_60["State"], at_60["PercentageComplete"]) == ("BAKING", 100.0)
    world.cloud.clock.advance(59)
    assert world.deployment(1)["State"] == "BAKING"
    world.cloud.clock.advance(1)
    done = world.deployment(1)
    assert done["State"] == "COMPLETE"
    assert events(done) == [  # newest first
        ("DEPLOYMENT_COMPLETED", "APPCONFIG"),
        ("BAKE_TIME_STARTED", "APPCONFIG"),
        ("PERCENTAGE_UPDATED", "APPCONFIG"),
        ("PERCENTAGE_UPDATED", "APPCONFIG"),
        ("DEPLOYMENT_STARTED", "USER"),
    ]
    assert (done["CompletedAt"] - done["StartedAt"]).total_seconds() == pytest.approx(120, abs=0.01)
    env = world.appconfig.get_environment(ApplicationId=world.app_id, EnvironmentId=world.env_id)
    assert env["State"] == "READY_FOR_DEPLOYMENT"


def test_exponential_strategy_doubles(world: World) -> None:
    """PREDEFINED_PAGE: Canary10Percent20Minutes, exponential with a 10 % growth factor over 20 minutes."""
    world.start(world.put("a: 1"), "AppConfig.Canary10Percent20Minutes")
    seen = []
    for _ in range(5):
        world.cloud.clock.advance(minutes=4)
        seen.append(world.deployment(1)["PercentageComplete"])
    assert seen == [10.0, 20.0, 40.0, 80.0, 100.0]
    assert world.deployment(1)["State"] == "BAKING"
    world.cloud.clock.advance(minutes=10)
    assert world.deployment(1)["State"] == "COMPLETE"


def test_all_at_once_bakes_ten_minutes(world: World) -> None:
    """PREDEFINED_PAGE: AllAtOnce deploys to all targets immediately, then monitors for 10 minutes."""
    world.start(world.put("a: 1"), "AppConfig.AllAtOnce")
    baking = world.deployment(1)
    assert (baking["State"], baking["PercentageComplete"]) == ("BAKING", 100.0)
    world.cloud.clock.advance(minutes=10)
    assert world.deployment(1)["State"] == "COMPLETE"


def test_waiter_deployment_complete(world: World) -> None:
    """boto3's deployment_complete waiter (waiters-2.json): COMPLETE succeeds, ROLLED_BACK fails."""
    world.start(world.put("a: 1"))
    waiter = world.appconfig.get_waiter("deployment_complete")
    waiter.wait(
        ApplicationId=world.app_id,
        EnvironmentId=world.env_id,
        DeploymentNumber=1,
        WaiterConfig={"Delay": 0, "MaxAttempts": 3},
    )
    world.start(world.put("a: 2"), "AppConfig.AllAtOnce")
    world.appconfig.stop_deployment(
        ApplicationId=world.app_id, EnvironmentId=world.env_id, DeploymentNumber=2, AllowRevert=True
    )
    with pytest.raises(WaiterError, match=r"ROLLED_BACK|terminal failure"):
        waiter.wait(
            ApplicationId=world.app_id,
            EnvironmentId=world.env_id,
            DeploymentNumber=2,
            WaiterConfig={"Delay": 0, "MaxAttempts": 3},
        )


def test_one_deployment_per_environment(world: World) -> None:
    """DEPLOYING_PAGE: "You can only deploy one configuration at a time to an environment. However, you
    can deploy one configuration each to different environments at the same time." A deployment that is
    baking still holds the environment."""
    world.start(world.put("a: 1"), "AppConfig.Linear50PercentEvery30Seconds")
    with pytest.raises(world.appconfig.exceptions.ConflictException) as conflict:
        world.start(world.put("a: 2"))
    assert conflict.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    other = world.appconfig.create_environment(ApplicationId=world.app_id, Name="staging")
    world.start(world.put("a: 3"), EnvironmentId=other["Id"])
    world.cloud.clock.advance(60)
    assert world.deployment(1)["State"] == "BAKING"
    with pytest.raises(world.appconfig.exceptions.ConflictException):
        world.start(world.put("a: 4"))
    world.cloud.clock.advance(60)
    assert world.start(world.put("a: 5"))["DeploymentNumber"] == 2


def test_list_deployments_newest_first_paginated(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_ListDeployments.html
    ("descending deployment number order"; MaxResults, NextToken)."""
    versions = [world.put(f"a: {n}") for n in range(5)]
    for version in versions:
        world.start(version)
        world.deployment(1)  # the zero-time strategy completes as soon as anyone looks
    page = world.appconfig.list_deployments(
        ApplicationId=world.app_id, EnvironmentId=world.env_id, MaxResults=2
    )
    assert [d["DeploymentNumber"] for d in page["Items"]] == [5, 4]
    assert "ConfigurationProfileId" not in page["Items"][0]  # summaries do not carry it
    paginator = world.appconfig.get_paginator("list_deployments")
    items = [
        d
        for p in paginator.paginate(
            ApplicationId=world.app_id, EnvironmentId=world.env_id, PaginationConfig={"PageSize": 2}
        )
        for d in p["Items"]
    ]
    assert [d["ConfigurationVersion"] for d in items] == list(reversed(versions))
    assert {d["State"] for d in items} == {"COMPLETE"}
    world.start(world.put("a: 5"))  # a deployment started between two pages shifts nothing
    rest = world.appconfig.list_deployments(
        ApplicationId=world.app_id, EnvironmentId=world.env_id, MaxResults=2, NextToken=page["NextToken"]
    )
    assert [d["DeploymentNumber"] for d in rest["Items"]] == [3, 2]


def test_get_unknown_deployment(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_GetDeployment.html"""
    with pytest.raises(world.appconfig.exceptions.ResourceNotFoundException):
        world.deployment(7)


def stop(world: World, number: int, **kwargs: Any) -> DeploymentTypeDef:
    return world.appconfig.stop_deployment(
        ApplicationId=world.app_id, EnvironmentId=world.env_id, DeploymentNumber=number, **kwargs
    )


def test_stop_in_progress_rolls_back(world: World) -> None:
    """REVERTING_PAGE, case 1: StopDeployment on an in-progress deployment -> ROLLED_BACK."""
    world.start(world.put("a: 1"), "AppConfig.Linear50PercentEvery30Seconds")
    world.cloud.clock.advance(30)
    stopped = stop(world, 1)
    assert stopped["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert stopped["State"] == "ROLLED_BACK"
    assert events(stopped)[:2] == [("ROLLBACK_COMPLETED", "USER"), ("ROLLBACK_STARTED", "USER")]
    env = world.appconfig.get_environment(ApplicationId=world.app_id, EnvironmentId=world.env_id)
    assert env["State"] == "ROLLED_BACK"
    assert world.start(world.put("a: 2"))["DeploymentNumber"] == 2  # the environment is free again


def test_stop_baking_needs_allow_revert(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StopDeployment.html: "works only on
    deployments that have a status of DEPLOYING, unless an AllowRevert parameter is supplied"; case 2 of
    REVERTING_PAGE: with AllowRevert an in-progress deployment ends ROLLED_BACK."""
    world.start(world.put("a: 1"), "AppConfig.AllAtOnce")
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        stop(world, 1)
    assert stop(world, 1, AllowRevert=True)["State"] == "ROLLED_BACK"


def test_stop_completed_needs_allow_revert_and_reverts(world: World) -> None:
    """REVERTING_PAGE, cases 3 and 4: completed -> BadRequestException; with AllowRevert -> REVERTED,
    and the previous version is served again."""
    first, second = world.put("a: 1"), world.put("a: 2")
    world.start(first)
    world.deployment(1)
    world.start(second)
    assert world.deployment(2)["State"] == "COMPLETE"
    token = world.session()
    body, token, _ = world.poll(token)
    assert body == b"a: 2"
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        stop(world, 2)
    reverted = stop(world, 2, AllowRevert=True)
    assert reverted["State"] == "REVERTED"
    assert events(reverted)[0] == ("REVERT_COMPLETED", "USER")
    body, _, _ = world.poll(token)
    assert body == b"a: 1"


def test_revert_only_within_72_hours(world: World) -> None:
    """REVERTING_PAGE, case 5: AllowRevert more than 72 hours after completion -> BadRequestException."""
    world.start(world.put("a: 1"))
    world.deployment(1)
    world.cloud.clock.advance(hours=72, seconds=1)
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as late:
        stop(world, 1, AllowRevert=True)
    assert "72 hours" in late.value.response["Error"]["Message"]


def test_revert_just_inside_72_hours(world: World) -> None:
    """REVERTING_PAGE: a revert is allowed within 72 hours of completion."""
    world.start(world.put("a: 1"))
    world.deployment(1)
    world.cloud.clock.advance(hours=71, minutes=59)
    assert stop(world, 1, AllowRevert=True)["State"] == "REVERTED"


@pytest.fixture
def monitored(world: World) -> tuple[World, str]:
    """An environment watched by a CloudWatch alarm in moto."""
    return world, world.watched_environment()


def test_alarm_during_bake_rolls_back(monitored: tuple[World, str]) -> None:
    """REVERTING_PAGE: "if one or more CloudWatch alarms go into the ALARM state during a deployment, AWS
    AppConfig automatically rolls back your configuration data to the previous version"."""
    world, env_id = monitored
    first = world.put("a: 1")
    world.start(first, EnvironmentId=env_id)
    assert world.deployment(1, env_id)["State"] == "COMPLETE"
    world.start(world.put("a: 2"), "AppConfig.AllAtOnce", EnvironmentId=env_id)
    world.cloud.clock.advance(minutes=5)
    assert world.deployment(2, env_id)["State"] == "BAKING"
    world.cloudwatch.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors up")
    rolled = world.deployment(2, env_id)
    assert rolled["State"] == "ROLLED_BACK"
    assert events(rolled)[:2] == [
        ("ROLLBACK_COMPLETED", "CLOUDWATCH_ALARM"),
        ("ROLLBACK_STARTED", "CLOUDWATCH_ALARM"),
    ]
    env = world.appconfig.get_environment(ApplicationId=world.app_id, EnvironmentId=env_id)
    assert env["State"] == "ROLLED_BACK"
    token = world.data.start_configuration_session(
        ApplicationIdentifier=world.app_id,
        EnvironmentIdentifier=env_id,
        ConfigurationProfileIdentifier=world.profile_id,
    )["InitialConfigurationToken"]
    assert world.poll(token)[0] == b"a: 1"  # the previous version


def test_alarm_during_rollout_rolls_back(monitored: tuple[World, str]) -> None:
    """REVERTING_PAGE: monitoring covers the rollout as well as the bake."""
    world, env_id = monitored
    world.start(world.put("a: 1"), "AppConfig.Linear20PercentEvery6Minutes", EnvironmentId=env_id)
    world.cloud.clock.advance(minutes=7)
    assert world.deployment(1, env_id)["PercentageComplete"] == 20.0
    world.cloudwatch.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors up")
    assert world.deployment(1, env_id)["State"] == "ROLLED_BACK"


def test_alarm_after_completion_changes_nothing(monitored: tuple[World, str]) -> None:
    """REVERTING_PAGE: automatic rollback applies "during a deployment" only."""
    world, env_id = monitored
    world.start(world.put("a: 1"), "AppConfig.AllAtOnce", EnvironmentId=env_id)
    world.cloud.clock.advance(minutes=10)
    assert world.deployment(1, env_id)["State"] == "COMPLETE"
    world.cloudwatch.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors up")
    assert world.deployment(1, env_id)["State"] == "COMPLETE"


def test_missing_object_version_is_refused_and_changes_nothing(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-S3-source.html
    (AppConfig deploys S3 configurations by object version). The exact error AWS gives is not documented:
    BadRequestException here (see aws-facts.md, section C)."""
    world.put("a: 1")
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as missing:
        world.start("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
    assert "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" in missing.value.response["Error"]["Message"]
    assert (
        world.appconfig.list_deployments(ApplicationId=world.app_id, EnvironmentId=world.env_id)["Items"]
        == []
    )
    world.s3.delete_object(Bucket="config-bucket", Key="feature-file.yml")
    gone = world.appconfig.create_configuration_profile(
        ApplicationId=world.app_id,
        Name="never-uploaded",
        LocationUri="s3://config-bucket/never.yml",
        RetrievalRoleArn=ROLE,
    )
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.start("null", ConfigurationProfileId=gone["Id"])


def test_s3_configuration_over_1_mb_is_too_large(world: World) -> None:
    """S3-source page: "Configurations stored as S3 objects can be a maximum of 1 MB in size."."""
    version = world.put(b"#" * (1024 * 1024 + 1))
    with pytest.raises(world.appconfig.exceptions.PayloadTooLargeException):
        world.start(version)


def test_time_scale_runs_minutes_of_strategy_in_moments(
    local_appconfig_factory: Callable[..., LocalAppConfig[Any]], moto_server: str
) -> None:
    """The local-only time_scale setting: Linear50PercentEvery30Seconds (1 minute of rollout and 1 of
    bake) runs 6000 times faster; boto3's deployment_complete waiter sees it finish."""
    service = local_appconfig_factory(time_scale=6000.0)
    ac = boto3.client("appconfig", endpoint_url=service.endpoint, region_name="us-east-1")
    app = ac.create_application(Name="fast")["Id"]
    env = ac.create_environment(ApplicationId=app, Name="fast")["Id"]
    profile = ac.create_configuration_profile(ApplicationId=app, Name="hosted", LocationUri="hosted")["Id"]
    ac.create_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile, Content=b"{}", ContentType="application/json"
    )
    ac.start_deployment(
        ApplicationId=app,
        EnvironmentId=env,
        DeploymentStrategyId="AppConfig.Linear50PercentEvery30Seconds",
        ConfigurationProfileId=profile,
        ConfigurationVersion="1",
    )
    ac.get_waiter("deployment_complete").wait(
        ApplicationId=app,
        EnvironmentId=env,
        DeploymentNumber=1,
        WaiterConfig={"Delay": 0, "MaxAttempts": 100_000},
    )
    done = ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
    assert done["EventLog"][0]["EventType"] == "DEPLOYMENT_COMPLETED"
    assert (done["CompletedAt"] - done["StartedAt"]).total_seconds() == pytest.approx(120, abs=0.01)


def test_latest_deployment_number_guards_against_conflicting_starts(world: World) -> None:
    """StartDeployment's LatestDeploymentNumber (API reference): "ensure that the deployment starts from
    the expected state and to prevent conflicting updates"."""
    world.start(world.put("a: 1"))
    world.deployment(1)
    with pytest.raises(world.appconfig.exceptions.ConflictException):
        world.start(world.put("a: 2"), LatestDeploymentNumber=0)
    assert world.start(world.put("a: 3"), LatestDeploymentNumber=1)["DeploymentNumber"] == 2


def test_environment_state_follows_the_clock(world: World) -> None:
    """EnvironmentState (API reference): DEPLOYING while a deployment runs, READY_FOR_DEPLOYMENT after."""
    world.start(world.put("a: 1"), "AppConfig.AllAtOnce")
    get = world.appconfig.get_environment
    assert get(ApplicationId=world.app_id, EnvironmentId=world.env_id)["State"] == "DEPLOYING"
    world.cloud.clock.advance(minutes=10)
    assert get(ApplicationId=world.app_id, EnvironmentId=world.env_id)["State"] == "READY_FOR_DEPLOYMENT"
