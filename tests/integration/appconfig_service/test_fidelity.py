"""Where the local AppConfig used to be more lenient than AWS: hosted versions and profile deletion, the
hosted size limit, tags on ARNs that name nothing, the Region of the signature, and KMS keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.appconfig_service.conftest import ACCOUNT, World, modelled

if TYPE_CHECKING:
    from mypy_boto3_appconfig.type_defs import ConfigurationProfileTypeDef, HostedConfigurationVersionTypeDef

pytestmark = pytest.mark.integration

HOSTED_PAGE = (
    "https://docs.aws.amazon.com/appconfig/latest/userguide/"
    "appconfig-creating-configuration-and-profile-about-hosted-store.html"
)


def hosted(world: World, name: str = "hosted", **kwargs: Any) -> ConfigurationProfileTypeDef:
    return world.appconfig.create_configuration_profile(
        ApplicationId=world.app_id, Name=name, LocationUri="hosted", **kwargs
    )


def put_version(world: World, profile_id: str, content: bytes = b"{}") -> HostedConfigurationVersionTypeDef:
    return world.hosted_version(profile_id, content, "text/plain")


# ---------------------------------------------------------------------------------------- hosted store
def test_profile_with_hosted_versions_is_not_deleted(world: World) -> None:
    """DeleteConfigurationProfile answers BadRequestException "Cannot delete configuration profile ID because
    there are still hosted configuration versions existing under it." (AWS's words, as reported in
    https://github.com/aws/aws-cdk/issues/26804); once every version is deleted, the profile can go."""
    ac = world.appconfig
    profile = hosted(world)
    put_version(world, profile["Id"])
    put_version(world, profile["Id"])
    with pytest.raises(ac.exceptions.BadRequestException) as refused:
        ac.delete_configuration_profile(ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"])
    assert refused.value.response["Error"]["Message"] == (
        f"Cannot delete configuration profile {profile['Id']} because there are still hosted configuration "
        "versions existing under it."
    )
    assert ac.get_configuration_profile(ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"])
    for number in (1, 2):
        ac.delete_hosted_configuration_version(
            ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"], VersionNumber=number
        )
    ac.delete_configuration_profile(ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"])
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.get_configuration_profile(ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"])


def test_hosted_content_over_2_mb_is_too_large(world: World) -> None:
    """HOSTED_PAGE (current user guide): "Configurations must be 2 MB or smaller" (the CloudFormation page
    still says 1 MB; the current guide is followed). CreateHostedConfigurationVersion models
    PayloadTooLargeException (413) with Measure (KILOBYTES, its one value), Limit and Size."""
    profile = hosted(world)
    limit = 2 * 1024 * 1024
    with pytest.raises(world.appconfig.exceptions.PayloadTooLargeException) as too_large:
        put_version(world, profile["Id"], b"x" * (limit + 1))
    response = modelled(too_large.value)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert (response["Measure"], response["Limit"]) == ("KILOBYTES", 2048.0)
    assert response["Size"] > 2048.0
    listed = world.appconfig.list_hosted_configuration_versions(
        ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"]
    )
    assert listed["Items"] == []
    assert put_version(world, profile["Id"], b"x" * limit)["VersionNumber"] == 1


def test_s3_configuration_too_large_is_measured_in_kilobytes(world: World) -> None:
    """PayloadTooLargeException's Measure has one modelled value, KILOBYTES: 1 MB is a Limit of 1024."""
    version = world.put(b"#" * (1024 * 1024 + 1))
    with pytest.raises(world.appconfig.exceptions.PayloadTooLargeException) as too_large:
        world.start(version)
    assert (modelled(too_large.value)["Measure"], modelled(too_large.value)["Limit"]) == ("KILOBYTES", 1024.0)


# ---------------------------------------------------------------------------------------- tags
def test_tagging_an_arn_that_names_nothing_is_not_found(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_TagResource.html (Errors:
    ResourceNotFoundException "The requested resource could not be found"); the same for
    ListTagsForResource and UntagResource. Nothing is kept for the ARN."""
    ac = world.appconfig
    missing = f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/zzzzzzz"
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.tag_resource(ResourceArn=missing, Tags={"team": "a"})
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.list_tags_for_resource(ResourceArn=missing)
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.untag_resource(ResourceArn=missing, TagKeys=["team"])
    environment = f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/{world.app_id}/environment/zzzzzzz"
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.tag_resource(ResourceArn=environment, Tags={"team": "a"})
    deployment = (
        f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/{world.app_id}/environment/{world.env_id}"
    )
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.tag_resource(ResourceArn=f"{deployment}/deployment/1", Tags={"team": "a"})
    with pytest.raises(ac.exceptions.BadRequestException):
        ac.tag_resource(ResourceArn=f"arn:aws:s3:::{world.app_id}-bucket", Tags={"team": "a"})


def test_every_appconfig_resource_type_takes_tags(world: World) -> None:
    """The resource types of https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsappconfig.html
    that exist here: application, environment, configuration profile, deployment, deployment strategy."""
    ac = world.appconfig
    arn = f"arn:aws:appconfig:us-east-1:{ACCOUNT}:"
    app = f"{arn}application/{world.app_id}"
    world.start(world.put("a: 1"))
    for resource in (
        app,
        f"{app}/environment/{world.env_id}",
        f"{app}/configurationprofile/{world.profile_id}",
        f"{app}/environment/{world.env_id}/deployment/1",
        f"{arn}deploymentstrategy/{world.zero_strategy_id}",
    ):
        ac.tag_resource(ResourceArn=resource, Tags={"team": "a"})
        assert ac.list_tags_for_resource(ResourceArn=resource)["Tags"] == {"team": "a"}


def test_a_deleted_resource_has_no_tags_to_list(world: World) -> None:
    ac = world.appconfig
    created = ac.create_application(Name="short-lived", Tags={"team": "a"})
    arn = f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/{created['Id']}"
    assert ac.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "a"}
    ac.delete_application(ApplicationId=created["Id"])
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.list_tags_for_resource(ResourceArn=arn)


# ---------------------------------------------------------------------------------------- Regions
def test_resources_belong_to_the_region_the_request_is_signed_for(world: World) -> None:
    """https://docs.aws.amazon.com/general/latest/gr/appconfig.html: one endpoint per Region. A client of
    eu-west-1 makes eu-west-1 resources with eu-west-1 ARNs, which us-east-1 does not see."""
    ireland = world.cloud.client("appconfig", region_name="eu-west-1")
    app = ireland.create_application(Name="irish", Tags={"team": "a"})
    assert [a["Name"] for a in ireland.list_applications()["Items"]] == ["irish"]
    assert "irish" not in [a["Name"] for a in world.appconfig.list_applications()["Items"]]
    with pytest.raises(world.appconfig.exceptions.ResourceNotFoundException):
        world.appconfig.get_application(ApplicationId=app["Id"])
    arn = f"arn:aws:appconfig:eu-west-1:{ACCOUNT}:application/{app['Id']}"
    assert ireland.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "a"}
    with pytest.raises(world.appconfig.exceptions.ResourceNotFoundException):
        world.appconfig.list_tags_for_resource(ResourceArn=arn)
    with pytest.raises(ireland.exceptions.ResourceNotFoundException):
        ireland.list_tags_for_resource(
            ResourceArn=f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/{world.app_id}"
        )


def test_each_region_has_its_own_predefined_strategies_and_data_plane(world: World) -> None:
    ireland = world.cloud.client("appconfig", region_name="eu-west-1")
    strategies = {s["Id"] for s in ireland.list_deployment_strategies()["Items"]}
    assert "AppConfig.AllAtOnce" in strategies
    assert world.zero_strategy_id not in strategies
    data = world.cloud.client("appconfigdata", region_name="eu-west-1")
    with pytest.raises(data.exceptions.ResourceNotFoundException):
        data.start_configuration_session(
            ApplicationIdentifier=world.app_id,
            EnvironmentIdentifier=world.env_id,
            ConfigurationProfileIdentifier=world.profile_id,
        )


# ---------------------------------------------------------------------------------------- KMS
@pytest.fixture
def key(world: World) -> dict[str, str]:
    """A customer managed key in the local cloud's KMS, with an alias."""
    kms = world.cloud.client("kms")
    metadata = kms.create_key(Description="appconfig")["KeyMetadata"]
    kms.create_alias(AliasName="alias/appconfig", TargetKeyId=metadata["KeyId"])
    return {"id": metadata["KeyId"], "arn": metadata["Arn"]}


def test_profile_kms_key_identifier_resolves_to_the_key_arn(world: World, key: dict[str, str]) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateConfigurationProfile.html:
    KmsKeyIdentifier "can be an KMS key ID, alias, or the Amazon Resource Name (ARN) of the key ID or
    alias"; the profile reports KmsKeyArn, "The Amazon Resource Name of the Key Management Service key",
    and so does each hosted version encrypted with it."""
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/appconfig"
    for n, identifier in enumerate((key["id"], "alias/appconfig", key["arn"], alias_arn)):
        profile = hosted(world, f"encrypted-{n}", KmsKeyIdentifier=identifier)
        assert (profile["KmsKeyIdentifier"], profile["KmsKeyArn"]) == (identifier, key["arn"])
        got = world.appconfig.get_configuration_profile(
            ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"]
        )
        assert got["KmsKeyArn"] == key["arn"]
    assert put_version(world, profile["Id"])["KmsKeyArn"] == key["arn"]


def test_profile_key_can_be_changed_and_removed(world: World, key: dict[str, str]) -> None:
    """UpdateConfigurationProfile's KmsKeyIdentifier is a KmsKeyIdentifierOrEmpty: "" removes the key."""
    profile = hosted(world)
    assert "KmsKeyArn" not in profile
    ac = world.appconfig
    updated = ac.update_configuration_profile(
        ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"], KmsKeyIdentifier="alias/appconfig"
    )
    assert updated["KmsKeyArn"] == key["arn"]
    cleared = ac.update_configuration_profile(
        ApplicationId=world.app_id, ConfigurationProfileId=profile["Id"], KmsKeyIdentifier=""
    )
    assert "KmsKeyArn" not in cleared
    assert "KmsKeyIdentifier" not in cleared


def test_a_key_that_does_not_resolve_is_refused_and_nothing_is_made(
    world: World, key: dict[str, str]
) -> None:
    """AppConfig encrypts with the key, so a key KMS cannot find or use is refused: BadRequestException
    (the exact message AWS gives is not documented). Disabled keys cannot encrypt
    (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html)."""
    ac = world.appconfig
    before = ac.list_configuration_profiles(ApplicationId=world.app_id)["Items"]
    with pytest.raises(ac.exceptions.BadRequestException) as refused:
        hosted(world, "no-key", KmsKeyIdentifier="alias/no-such-key")
    assert "alias/no-such-key" in refused.value.response["Error"]["Message"]
    world.cloud.client("kms").disable_key(KeyId=key["id"])
    with pytest.raises(ac.exceptions.BadRequestException) as disabled:
        hosted(world, "disabled-key", KmsKeyIdentifier=key["arn"])
    assert "Disabled" in disabled.value.response["Error"]["Message"]
    assert ac.list_configuration_profiles(ApplicationId=world.app_id)["Items"] == before


def test_deployment_kms_key_identifier_resolves_to_the_key_arn(world: World, key: dict[str, str]) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StartDeployment.html:
    KmsKeyIdentifier "(key ID, key alias, or key ARN)"; the Deployment reports it and KmsKeyArn."""
    started = world.start(world.put("a: 1"), KmsKeyIdentifier="alias/appconfig")
    assert (started["KmsKeyIdentifier"], started["KmsKeyArn"]) == ("alias/appconfig", key["arn"])
    assert world.deployment(1)["KmsKeyArn"] == key["arn"]


def test_deployment_with_an_unknown_key_does_not_start(world: World) -> None:
    version = world.put("a: 1")
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.start(version, KmsKeyIdentifier="alias/no-such-key")
    listed = world.appconfig.list_deployments(ApplicationId=world.app_id, EnvironmentId=world.env_id)
    assert listed["Items"] == []
    assert world.start(version)["DeploymentNumber"] == 1  # the environment was not left taken


def test_keys_resolve_in_the_callers_region(world: World, key: dict[str, str]) -> None:
    """KMS keys are regional: an eu-west-1 profile cannot use a us-east-1 alias."""
    ireland = world.cloud.client("appconfig", region_name="eu-west-1")
    app = ireland.create_application(Name="irish")
    with pytest.raises(ireland.exceptions.BadRequestException):
        ireland.create_configuration_profile(
            ApplicationId=app["Id"], Name="hosted", LocationUri="hosted", KmsKeyIdentifier="alias/appconfig"
        )
