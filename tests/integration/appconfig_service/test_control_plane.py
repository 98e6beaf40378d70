"""Control plane CRUD through boto3, as the AppConfig API reference documents it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.appconfig_service.conftest import BUCKET, KEY, ROLE, World, modelled

if TYPE_CHECKING:
    from mypy_boto3_appconfig.type_defs import MonitorTypeDef, ValidatorTypeDef

pytestmark = pytest.mark.integration


def test_application_lifecycle(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateApplication.html"""
    ac = world.appconfig
    created = ac.create_application(Name="orders", Description="the orders service")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert len(created["Id"]) == 7
    assert ac.get_application(ApplicationId=created["Id"])["Name"] == "orders"
    updated = ac.update_application(ApplicationId=created["Id"], Description="renamed")
    assert (updated["Name"], updated["Description"]) == ("orders", "renamed")
    deleted = ac.delete_application(ApplicationId=created["Id"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ac.exceptions.ResourceNotFoundException) as missing:
        ac.get_application(ApplicationId=created["Id"])
    assert modelled(missing.value)["ResourceName"] == "Application"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_applications_paginates(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_ListApplications.html"""
    ac = world.appconfig
    for n in range(5):
        ac.create_application(Name=f"app-{n}")
    first = ac.list_applications(MaxResults=2)
    assert len(first["Items"]) == 2
    assert "NextToken" in first
    names = [
        a["Name"]
        for page in ac.get_paginator("list_applications").paginate(PaginationConfig={"PageSize": 2})
        for a in page["Items"]
    ]
    assert names == ["feature-flags", *(f"app-{n}" for n in range(5))]


def test_environment_keeps_its_monitors(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateEnvironment.html"""
    monitors: list[MonitorTypeDef] = [
        {"AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors", "AlarmRoleArn": ROLE}
    ]
    env = world.appconfig.create_environment(ApplicationId=world.app_id, Name="staging", Monitors=monitors)
    assert env["State"] == "READY_FOR_DEPLOYMENT"
    got = world.appconfig.get_environment(ApplicationId=world.app_id, EnvironmentId=env["Id"])
    assert got["Monitors"] == monitors
    listed = world.appconfig.list_environments(ApplicationId=world.app_id)["Items"]
    assert {e["Name"] for e in listed} == {"production", "staging"}


def test_s3_profile_needs_a_retrieval_role(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateConfigurationProfile.html
    ("RetrievalRoleArn ... is required for all other sources")."""
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.appconfig.create_configuration_profile(
            ApplicationId=world.app_id, Name="no-role", LocationUri=f"s3://{BUCKET}/{KEY}"
        )


def test_feature_flag_profiles_are_hosted_only(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-profile.html"""
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.appconfig.create_configuration_profile(
            ApplicationId=world.app_id,
            Name="flags",
            LocationUri=f"s3://{BUCKET}/{KEY}",
            RetrievalRoleArn=ROLE,
            Type="AWS.AppConfig.FeatureFlags",
        )


def test_profile_round_trip_and_validator_types(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_ListConfigurationProfiles.html"""
    validators: list[ValidatorTypeDef] = [{"Type": "JSON_SCHEMA", "Content": '{"type": "object"}'}]
    profile_id = world.profile(validators)
    got = world.appconfig.get_configuration_profile(
        ApplicationId=world.app_id, ConfigurationProfileId=profile_id
    )
    assert got["Validators"] == validators
    assert got["Type"] == "AWS.Freeform"
    assert got["RetrievalRoleArn"] == ROLE
    items = world.appconfig.list_configuration_profiles(ApplicationId=world.app_id)["Items"]
    assert {i["Id"]: i["ValidatorTypes"] for i in items} == {
        world.profile_id: [],
        profile_id: ["JSON_SCHEMA"],
    }


def test_invalid_json_schema_validator_is_refused(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-validators.html
    (JSON Schema version 4.X)."""
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.profile([{"Type": "JSON_SCHEMA", "Content": '{"type": 12}'}])


def test_model_constraints_are_checked_by_the_service(world: World) -> None:
    """Constraints from the API reference that botocore does not check client side: patterns and maxima."""
    ac = world.cloud.client("appconfig", config=Config(parameter_validation=False))
    with pytest.raises(ac.exceptions.BadRequestException):  # DeploymentStrategyId's pattern
        ac.start_deployment(
            ApplicationId=world.app_id,
            EnvironmentId=world.env_id,
            DeploymentStrategyId="Not a strategy!",
            ConfigurationProfileId=world.profile_id,
            ConfigurationVersion="1",
        )
    with pytest.raises(ac.exceptions.BadRequestException):
        ac.create_configuration_profile(  # ValidatorList: at most 2
            ApplicationId=world.app_id,
            Name="three",
            LocationUri="hosted",
            Validators=[{"Type": "JSON_SCHEMA", "Content": "{}"}] * 3,
        )


def test_predefined_strategies(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-deployment-strategy-predefined.html"""
    strategies = {s["Id"]: s for s in world.appconfig.list_deployment_strategies()["Items"]}
    expected = {
        "AppConfig.Linear20PercentEvery6Minutes": (30, "LINEAR", 20.0, 30),
        "AppConfig.Canary10Percent20Minutes": (20, "EXPONENTIAL", 10.0, 10),
        "AppConfig.AllAtOnce": (0, "LINEAR", 100.0, 10),
        "AppConfig.Linear50PercentEvery30Seconds": (1, "LINEAR", 50.0, 1),
    }
    for sid, (duration, growth, factor, bake) in expected.items():
        s = strategies[sid]
        assert (
            s["DeploymentDurationInMinutes"],
            s["GrowthType"],
            s["GrowthFactor"],
            s["FinalBakeTimeInMinutes"],
        ) == (duration, growth, factor, bake)
    assert world.appconfig.get_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")["Name"] == (
        "AppConfig.AllAtOnce"
    )
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.appconfig.delete_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")


def test_custom_strategy_lifecycle(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateDeploymentStrategy.html"""
    ac = world.appconfig
    created = ac.create_deployment_strategy(
        Name="linear-50",
        DeploymentDurationInMinutes=2,
        GrowthFactor=50,
        FinalBakeTimeInMinutes=3,
        GrowthType="LINEAR",
        ReplicateTo="NONE",
    )
    assert created["GrowthFactor"] == 50.0
    updated = ac.update_deployment_strategy(DeploymentStrategyId=created["Id"], FinalBakeTimeInMinutes=0)
    assert updated["FinalBakeTimeInMinutes"] == 0
    # DeleteDeploymentStrategy's path is /deployementstrategies/{Id}: AWS's spelling, which boto3 sends.
    ac.delete_deployment_strategy(DeploymentStrategyId=created["Id"])
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.get_deployment_strategy(DeploymentStrategyId=created["Id"])


def test_environment_quota(world: World) -> None:
    """https://docs.aws.amazon.com/general/latest/gr/appconfig.html (20 environments per application)."""
    for n in range(19):
        world.appconfig.create_environment(ApplicationId=world.app_id, Name=f"env-{n}")
    with pytest.raises(world.appconfig.exceptions.ServiceQuotaExceededException):
        world.appconfig.create_environment(ApplicationId=world.app_id, Name="one-too-many")


def test_hosted_versions_and_deploying_by_label(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateHostedConfigurationVersion.html
    and StartDeployment ("you can specify either the version number or version label")."""
    ac = world.appconfig
    profile = ac.create_configuration_profile(ApplicationId=world.app_id, Name="hosted", LocationUri="hosted")
    v1 = ac.create_hosted_configuration_version(
        ApplicationId=world.app_id,
        ConfigurationProfileId=profile["Id"],
        Content=b'{"a": 1}',
        ContentType="application/json",
        VersionLabel="first",
    )
    assert (v1["VersionNumber"], v1["ContentType"], v1["VersionLabel"]) == (1, "application/json", "first")
    assert v1["Content"].read() == b'{"a": 1}'
    with pytest.raises(ac.exceptions.ConflictException):
        ac.create_hosted_configuration_version(
            ApplicationId=world.app_id,
            ConfigurationProfileId=profile["Id"],
            Content=b"{}",
            ContentType="application/json",
            LatestVersionNumber=0,
        )
    listed = ac.list_hosted_configuration_versions(
        ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"]
    )
    assert [i["VersionNumber"] for i in listed["Items"]] == [1]
    deployment = ac.start_deployment(
        ApplicationId=world.app_id,
        EnvironmentId=world.env_id,
        DeploymentStrategyId=world.zero_strategy_id,
        ConfigurationProfileId=profile["Id"],
        ConfigurationVersion="first",
    )
    assert (deployment["ConfigurationVersion"], deployment["VersionLabel"]) == ("1", "first")
    body, _, response = world.poll(world.session(profile["Id"]))
    assert body == b'{"a": 1}'
    assert (response["ContentType"], response["VersionLabel"]) == ("application/json", "first")


def test_tags(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_TagResource.html"""
    ac = world.appconfig
    arn = f"arn:aws:appconfig:us-east-1:123456789012:application/{world.app_id}"
    ac.tag_resource(ResourceArn=arn, Tags={"team": "a", "tier": "1"})
    ac.untag_resource(ResourceArn=arn, TagKeys=["tier"])
    assert ac.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "a"}


def test_unimplemented_operations_say_so(world: World) -> None:
    with pytest.raises(ClientError) as error:
        world.appconfig.create_extension(
            Name="backup",
            Actions={
                "ON_DEPLOYMENT_COMPLETE": [{"Name": "a", "Uri": "arn:aws:sqs:us-east-1:123456789012:q"}]
            },
        )
    assert error.value.response["Error"]["Code"] == "NotImplemented"
