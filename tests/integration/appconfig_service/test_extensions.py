"""AWS-authored extensions through boto3: what ListExtensions shows, extension associations, and the
deployment notifications each association puts on moto's EventBridge default bus (or SQS, SNS).

EVENTBRIDGE_PAGE documents the event; the events land, through a rule on the default bus, in an SQS
queue the test reads, as a real subscriber would receive them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from localcloud.stack import provision
from tests.integration.appconfig_service.conftest import ACCOUNT, World

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from mypy_boto3_appconfig.type_defs import DeploymentEventTypeDef, ExtensionAssociationTypeDef

    from localcloud.appconfig import LocalAppConfig

pytestmark = pytest.mark.integration

PREDEFINED_PAGE = "https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined.html"
EVENTBRIDGE_PAGE = (
    "https://docs.aws.amazon.com/appconfig/latest/userguide/"
    "working-with-appconfig-extensions-about-predefined-notification-eventbridge.html"
)
TO_EVENTBRIDGE = "AWS.AppConfig.DeploymentNotificationsToEventBridge"


class Inbox:
    """An SQS queue in moto and what has arrived in it, in order."""

    def __init__(self, world: World, name: str) -> None:
        self.sqs = world.cloud.client("sqs")
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.received: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        """Everything that arrived since the last drain (moto delivers before PutEvents returns)."""
        new: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                new.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        self.received += new
        return new


@pytest.fixture
def bus(world: World) -> Inbox:
    """A rule on the default bus for every AppConfig event, its target a queue."""
    inbox = Inbox(world, "appconfig-events")
    events = world.cloud.client("events")
    events.put_rule(Name="appconfig", EventPattern=json.dumps({"source": ["aws.appconfig"]}))
    events.put_targets(Rule="appconfig", Targets=[{"Id": "inbox", "Arn": inbox.arn}])
    return inbox


def app_arn(world: World) -> str:
    return f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/{world.app_id}"


def associate(
    world: World, resource: str, extension: str = TO_EVENTBRIDGE, **kwargs: Any
) -> ExtensionAssociationTypeDef:
    return world.appconfig.create_extension_association(
        ExtensionIdentifier=extension, ResourceIdentifier=resource, **kwargs
    )


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(e["detail-type"], e["detail"]["Type"], e["detail"]["DeploymentNumber"]) for e in events]


# ---------------------------------------------------------------------------------------- extensions
def test_aws_authored_extensions_are_listed_as_aws_lists_them(world: World) -> None:
    """PREDEFINED_PAGE, and the AWS CLI's list-extensions example
    (https://docs.aws.amazon.com/code-library/latest/ug/cli_2_appconfig_code_examples.html): an ID that is
    the name AWS gives it, version 1, an ARN without an account."""
    items = {e["Id"]: e for e in world.appconfig.list_extensions()["Items"]}
    assert set(items) >= {
        TO_EVENTBRIDGE,
        "AWS.AppConfig.DeploymentNotificationsToSqs",
        "AWS.AppConfig.DeploymentNotificationsToSns",
        "AWS.AppConfig.FeatureFlags",
    }
    eventbridge = items[TO_EVENTBRIDGE]
    assert eventbridge["Name"] == "AppConfig deployment events to Amazon EventBridge"
    assert eventbridge["VersionNumber"] == 1
    assert eventbridge["Arn"] == f"arn:aws:appconfig:us-east-1::extension/{TO_EVENTBRIDGE}/1"
    assert "started, completed, or rolled back" in eventbridge["Description"]
    by_name = world.appconfig.list_extensions(Name="AppConfig deployment events to Amazon SQS")["Items"]
    assert [e["Id"] for e in by_name] == ["AWS.AppConfig.DeploymentNotificationsToSqs"]


def test_get_extension_by_id_name_or_arn(world: World) -> None:
    """EVENTBRIDGE_PAGE: "This extension is invoked by the following action points: ON_DEPLOYMENT_START,
    ON_DEPLOYMENT_COMPLETE, ON_DEPLOYMENT_ROLLED_BACK"."""
    ac = world.appconfig
    for identifier in (
        TO_EVENTBRIDGE,
        "AppConfig deployment events to Amazon EventBridge",
        f"arn:aws:appconfig:us-east-1::extension/{TO_EVENTBRIDGE}/1",
    ):
        extension = ac.get_extension(ExtensionIdentifier=identifier)
        assert extension["Id"] == TO_EVENTBRIDGE
        assert set(extension["Actions"]) == {
            "ON_DEPLOYMENT_START",
            "ON_DEPLOYMENT_COMPLETE",
            "ON_DEPLOYMENT_ROLLED_BACK",
        }
    assert ac.get_extension(ExtensionIdentifier="AWS.AppConfig.DeploymentNotificationsToSqs")[
        "Parameters"
    ] == {"queueArn": {"Required": True}}
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.get_extension(ExtensionIdentifier=TO_EVENTBRIDGE, VersionNumber=2)
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.get_extension(ExtensionIdentifier="no-such-extension")


# ---------------------------------------------------------------------------------------- associations
def test_association_lifecycle(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateExtensionAssociation.html and
    its Get, List, Update and Delete companions (the CLI examples show the shapes)."""
    ac = world.appconfig
    created = associate(world, app_arn(world), Tags={"team": "a"})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["ExtensionArn"] == f"arn:aws:appconfig:us-east-1::extension/{TO_EVENTBRIDGE}/1"
    assert created["ResourceArn"] == app_arn(world)
    assert created["Arn"] == f"arn:aws:appconfig:us-east-1:{ACCOUNT}:extensionassociation/{created['Id']}"
    assert (created["ExtensionVersionNumber"], created["Parameters"]) == (1, {})
    got = ac.get_extension_association(ExtensionAssociationId=created["Id"])
    assert {k: got[k] for k in ("Id", "ExtensionArn", "ResourceArn", "Arn")} == {
        k: created[k] for k in ("Id", "ExtensionArn", "ResourceArn", "Arn")
    }
    assert ac.list_tags_for_resource(ResourceArn=created["Arn"])["Tags"] == {"team": "a"}
    listed = ac.list_extension_associations(ResourceIdentifier=app_arn(world))["Items"]
    assert listed == [
        {"Id": created["Id"], "ExtensionArn": created["ExtensionArn"], "ResourceArn": app_arn(world)}
    ]
    assert ac.list_extension_associations(ExtensionIdentifier=TO_EVENTBRIDGE)["Items"] == listed
    other = f"{app_arn(world)}/environment/{world.env_id}"
    assert ac.list_extension_associations(ResourceIdentifier=other)["Items"] == []
    updated = ac.update_extension_association(ExtensionAssociationId=created["Id"], Parameters={})
    assert updated["Parameters"] == {}
    assert (
        ac.delete_extension_association(ExtensionAssociationId=created["Id"])["ResponseMetadata"][
            "HTTPStatusCode"
        ]
        == 204
    )
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.get_extension_association(ExtensionAssociationId=created["Id"])
    assert ac.list_extension_associations()["Items"] == []


def test_bad_associations_are_refused_and_nothing_is_kept(world: World) -> None:
    """Bad input: a resource that does not exist (ResourceNotFoundException), one that cannot take
    extensions, an unknown extension, parameters the extension does not take or lacks."""
    ac = world.appconfig
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        associate(world, f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/zzzzzzz")
    with pytest.raises(ac.exceptions.BadRequestException):
        associate(world, f"arn:aws:appconfig:us-east-1:{ACCOUNT}:deploymentstrategy/{world.zero_strategy_id}")
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        associate(world, app_arn(world), extension="no-such-extension")
    with pytest.raises(ac.exceptions.BadRequestException):
        associate(world, app_arn(world), Parameters={"topicArn": "arn:aws:sns:us-east-1:123456789012:t"})
    with pytest.raises(ac.exceptions.BadRequestException):
        associate(world, app_arn(world), extension="AWS.AppConfig.DeploymentNotificationsToSqs")
    with pytest.raises(ac.exceptions.BadRequestException):
        associate(
            world,
            app_arn(world),
            extension="AWS.AppConfig.DeploymentNotificationsToSqs",
            Parameters={"queueArn": "not-an-arn"},
        )
    assert ac.list_extension_associations()["Items"] == []
    associate(world, app_arn(world))
    with pytest.raises(ac.exceptions.BadRequestException):
        associate(world, app_arn(world))  # the same extension on the same resource twice
    assert len(ac.list_extension_associations()["Items"]) == 1


def test_deleting_the_resource_deletes_its_associations(world: World) -> None:
    ac = world.appconfig
    env = ac.create_environment(ApplicationId=world.app_id, Name="short-lived")
    association = associate(world, f"{app_arn(world)}/environment/{env['Id']}")
    ac.delete_environment(ApplicationId=world.app_id, EnvironmentId=env["Id"])
    with pytest.raises(ac.exceptions.ResourceNotFoundException):
        ac.get_extension_association(ExtensionAssociationId=association["Id"])


# ---------------------------------------------------------------------------------------- EventBridge
def test_a_deployment_puts_start_and_complete_on_the_default_bus(world: World, bus: Inbox) -> None:
    """EVENTBRIDGE_PAGE's sample event: source aws.appconfig, detail-type "On Deployment Complete", the
    association's ARN in resources, and detail {InvocationId, Parameters, Type, Application, Environment,
    ConfigurationProfile (Id and Name each), DeploymentNumber, ConfigurationVersion}."""
    association = associate(world, app_arn(world))
    version = world.put("a: 1")
    world.start(version)
    assert world.deployment(1)["State"] == "COMPLETE"
    start, complete = bus.drain()
    assert kinds([start, complete]) == [
        ("On Deployment Start", "OnDeploymentStart", 1),
        ("On Deployment Complete", "OnDeploymentComplete", 1),
    ]
    assert complete["source"] == "aws.appconfig"
    assert complete["region"] == "us-east-1"  # (moto's queue targets leave "account" out of the event)
    assert complete["resources"] == [association["Arn"]]
    detail = complete["detail"]
    assert set(detail) == {
        "InvocationId",
        "Parameters",
        "Type",
        "Application",
        "Environment",
        "ConfigurationProfile",
        "DeploymentNumber",
        "ConfigurationVersion",
    }
    assert detail["Application"] == {"Id": world.app_id, "Name": "feature-flags"}
    assert detail["Environment"] == {"Id": world.env_id, "Name": "production"}
    assert detail["ConfigurationProfile"] == {"Id": world.profile_id, "Name": "feature-file.yml"}
    assert (detail["ConfigurationVersion"], detail["Parameters"]) == (version, {})
    assert detail["InvocationId"] != start["detail"]["InvocationId"]


def test_each_transition_is_put_once_at_the_moment_it_happens(world: World, bus: Inbox) -> None:
    """The events come as the deployment changes state on the service's clock, stamped with that time, and
    never again however often anyone looks. Linear50PercentEvery30Seconds: 1 minute of rollout, 1 of bake."""
    associate(world, app_arn(world))
    world.start(world.put("a: 1"), "AppConfig.Linear50PercentEvery30Seconds")
    assert kinds(bus.drain()) == [("On Deployment Start", "OnDeploymentStart", 1)]
    world.cloud.clock.advance(seconds=119)
    assert world.deployment(1)["State"] == "BAKING"
    assert bus.drain() == []  # steps and bake are not notification action points
    world.cloud.clock.advance(seconds=1)
    done = world.deployment(1)
    assert done["State"] == "COMPLETE"
    (complete,) = bus.drain()
    assert complete["detail-type"] == "On Deployment Complete"
    assert datetime.fromisoformat(complete["time"]) == done["CompletedAt"].astimezone(UTC).replace(
        microsecond=0
    )
    for _ in range(3):
        world.cloud.clock.advance(minutes=10)
        world.cloud.appconfig.tick()
        world.deployment(1)
    assert bus.drain() == []


def test_rollback_by_alarm_and_by_stop_are_put(world: World, bus: Inbox) -> None:
    """ON_DEPLOYMENT_ROLLED_BACK whatever rolled it back: an alarm of the environment's monitors
    (appconfig-deploying-reverting.html) or StopDeployment; the detail-type is EventBridge's name for the
    event, "On Deployment Rollback" (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-appconfig.html)."""
    env = {"Id": world.watched_environment()}
    associate(world, f"{app_arn(world)}/environment/{env['Id']}")
    world.start(world.put("a: 1"), "AppConfig.AllAtOnce", EnvironmentId=env["Id"])
    world.cloudwatch.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors up")
    assert world.deployment(1, env["Id"])["State"] == "ROLLED_BACK"
    world.cloudwatch.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="calm")
    world.start(world.put("a: 2"), "AppConfig.Linear50PercentEvery30Seconds", EnvironmentId=env["Id"])
    world.appconfig.stop_deployment(ApplicationId=world.app_id, EnvironmentId=env["Id"], DeploymentNumber=2)
    assert kinds(bus.drain()) == [
        ("On Deployment Start", "OnDeploymentStart", 1),
        ("On Deployment Rollback", "OnDeploymentRolledBack", 1),
        ("On Deployment Start", "OnDeploymentStart", 2),
        ("On Deployment Rollback", "OnDeploymentRolledBack", 2),
    ]


def test_only_deployments_under_the_associated_resource_are_put(world: World, bus: Inbox) -> None:
    """EVENTBRIDGE_PAGE: an association with an application or environment covers every profile in it; one
    with a profile covers that profile only. A refused deployment never existed: nothing is put."""
    other = world.profile(name="other")
    associate(world, f"{app_arn(world)}/configurationprofile/{world.profile_id}")
    world.start(world.put("a: 1"))
    world.deployment(1)
    world.start(world.put("a: 2"), ConfigurationProfileId=other)
    world.deployment(2)
    staging = world.appconfig.create_environment(ApplicationId=world.app_id, Name="staging")
    associate(world, f"{app_arn(world)}/environment/{staging['Id']}")
    world.start(world.put("a: 3"), ConfigurationProfileId=other, EnvironmentId=staging["Id"])
    world.deployment(1, staging["Id"])
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.start("no-such-version", EnvironmentId=staging["Id"])
    received = bus.drain()
    assert [
        (e["detail"]["Environment"]["Name"], e["detail"]["ConfigurationProfile"]["Name"]) for e in received
    ] == [
        ("production", "feature-file.yml"),
        ("production", "feature-file.yml"),
        ("staging", "other"),
        ("staging", "other"),
    ]


def test_the_deployment_records_the_extensions_it_applied(world: World, bus: Inbox) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_Deployment.html (AppliedExtensions)
    and API_DeploymentEvent.html (ActionInvocations: "The list of extensions that were invoked")."""
    association = associate(world, app_arn(world))
    world.start(world.put("a: 1"))
    deployment = world.deployment(1)
    assert deployment["AppliedExtensions"] == [
        {
            "ExtensionId": TO_EVENTBRIDGE,
            "ExtensionAssociationId": association["Id"],
            "VersionNumber": 1,
            "Parameters": {},
        }
    ]
    by_type: dict[str, DeploymentEventTypeDef] = {e["EventType"]: e for e in deployment["EventLog"]}
    sent = {e["detail"]["Type"]: e["detail"]["InvocationId"] for e in bus.drain()}
    for event_type, detail_type in (
        ("DEPLOYMENT_STARTED", "OnDeploymentStart"),
        ("DEPLOYMENT_COMPLETED", "OnDeploymentComplete"),
    ):
        (invocation,) = by_type[event_type]["ActionInvocations"]
        assert invocation["ExtensionIdentifier"] == TO_EVENTBRIDGE
        assert invocation["Uri"] == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
        assert invocation["InvocationId"] == sent[detail_type]
        assert "ErrorCode" not in invocation
    assert "ActionInvocations" not in by_type["BAKE_TIME_STARTED"]


def test_an_undeliverable_event_is_recorded_and_the_deployment_goes_on(
    local_appconfig_factory: Callable[..., LocalAppConfig[Any]], world: World
) -> None:
    """https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about.html:
    "If an extension experiences an error during an ON_* action point, the service ignores the error and
    continues the workflow." The fault: this service's EventBridge endpoint refuses connections."""
    service = local_appconfig_factory(endpoints={"events": "http://127.0.0.1:9"})
    ac = world.cloud.client("appconfig", endpoint_url=service.endpoint)
    app = ac.create_application(Name="unheard")
    env = ac.create_environment(ApplicationId=app["Id"], Name="production")
    profile = ac.create_configuration_profile(ApplicationId=app["Id"], Name="p", LocationUri="hosted")
    ac.create_hosted_configuration_version(
        ApplicationId=app["Id"], ConfigurationProfileId=profile["Id"], Content=b"{}", ContentType="text/plain"
    )
    ac.create_extension_association(
        ExtensionIdentifier=TO_EVENTBRIDGE,
        ResourceIdentifier=f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/{app['Id']}",
    )
    ac.start_deployment(
        ApplicationId=app["Id"],
        EnvironmentId=env["Id"],
        DeploymentStrategyId="AppConfig.AllAtOnce",
        ConfigurationProfileId=profile["Id"],
        ConfigurationVersion="1",
    )
    service.clock.advance(minutes=10)
    deployment = ac.get_deployment(ApplicationId=app["Id"], EnvironmentId=env["Id"], DeploymentNumber=1)
    assert deployment["State"] == "COMPLETE"
    for entry in deployment["EventLog"]:
        for invocation in entry.get("ActionInvocations", []):
            assert invocation["ErrorCode"] == "EndpointConnectionError"


def test_events_follow_the_region_of_the_deployment(world: World) -> None:
    """The default bus of the deployment's Region receives its events, with that Region's ARNs."""
    ireland = world.cloud.client("appconfig", region_name="eu-west-1")
    sqs = world.cloud.client("sqs", region_name="eu-west-1")
    url = sqs.create_queue(QueueName="irish-events")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = world.cloud.client("events", region_name="eu-west-1")
    events.put_rule(Name="appconfig", EventPattern=json.dumps({"source": ["aws.appconfig"]}))
    events.put_targets(Rule="appconfig", Targets=[{"Id": "inbox", "Arn": queue}])
    app = ireland.create_application(Name="irish")
    env = ireland.create_environment(ApplicationId=app["Id"], Name="production")
    profile = ireland.create_configuration_profile(ApplicationId=app["Id"], Name="p", LocationUri="hosted")
    ireland.create_hosted_configuration_version(
        ApplicationId=app["Id"], ConfigurationProfileId=profile["Id"], Content=b"{}", ContentType="text/plain"
    )
    association = ireland.create_extension_association(
        ExtensionIdentifier=TO_EVENTBRIDGE,
        ResourceIdentifier=f"arn:aws:appconfig:eu-west-1:{ACCOUNT}:application/{app['Id']}",
    )
    assert association["Arn"].startswith("arn:aws:appconfig:eu-west-1:")
    zero = ireland.create_deployment_strategy(
        Name="zero", DeploymentDurationInMinutes=0, GrowthFactor=100, FinalBakeTimeInMinutes=0
    )
    ireland.start_deployment(
        ApplicationId=app["Id"],
        EnvironmentId=env["Id"],
        DeploymentStrategyId=zero["Id"],
        ConfigurationProfileId=profile["Id"],
        ConfigurationVersion="1",
    )
    ireland.get_deployment(ApplicationId=app["Id"], EnvironmentId=env["Id"], DeploymentNumber=1)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    received = [json.loads(m["Body"]) for m in messages]
    assert {e["region"] for e in received} == {"eu-west-1"}
    assert {e["resources"][0] for e in received} == {association["Arn"]}


# ---------------------------------------------------------------------------------------- SQS and SNS
def test_the_sqs_extension_enqueues_its_message(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-sqs.html:
    the queueArn parameter, and the message {InvocationId, Parameters, Application, Environment,
    ConfigurationProfile, Description, DeploymentNumber (a string), ConfigurationVersion, Type}."""
    inbox = Inbox(world, "deployments")
    associate(
        world,
        app_arn(world),
        extension="AWS.AppConfig.DeploymentNotificationsToSqs",
        Parameters={"queueArn": inbox.arn},
    )
    version = world.put("a: 1")
    world.start(version, Description="first")
    world.deployment(1)
    start, complete = inbox.drain()
    assert (start["Type"], complete["Type"]) == ("OnDeploymentStart", "OnDeploymentComplete")
    assert complete["Parameters"] == {"queueArn": inbox.arn}
    assert (complete["DeploymentNumber"], complete["ConfigurationVersion"]) == ("1", version)
    assert complete["Description"] == "first"
    assert complete["Application"] == {"Id": world.app_id, "Name": "feature-flags"}


def test_the_sns_extension_publishes_with_its_message_type(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-sns.html:
    the topicArn parameter; the message, with the MessageType attribute."""
    sns = world.cloud.client("sns")
    topic = sns.create_topic(Name="deployments")["TopicArn"]
    inbox = Inbox(world, "subscriber")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox.arn)
    associate(
        world,
        app_arn(world),
        extension="AWS.AppConfig.DeploymentNotificationsToSns",
        Parameters={"topicArn": topic},
    )
    world.start(world.put("a: 1"))
    world.deployment(1)
    notifications = inbox.drain()
    assert [n["MessageAttributes"]["MessageType"]["Value"] for n in notifications] == [
        "OnDeploymentStart",
        "OnDeploymentComplete",
    ]
    assert [json.loads(n["Message"])["Type"] for n in notifications] == [
        "OnDeploymentStart",
        "OnDeploymentComplete",
    ]
    assert {n["TopicArn"] for n in notifications} == {topic}


# ---------------------------------------------------------------------------------------- templates
TEMPLATE = """
Resources:
  Flags:
    Type: AWS::AppConfig::Application
    Properties: {Name: flags}
  Production:
    Type: AWS::AppConfig::Environment
    Properties: {ApplicationId: !Ref Flags, Name: production}
  Notifications:
    Type: AWS::AppConfig::ExtensionAssociation
    Properties:
      ExtensionIdentifier: AWS.AppConfig.DeploymentNotificationsToEventBridge
      ResourceIdentifier: !Sub >-
        arn:${AWS::Partition}:appconfig:${AWS::Region}:${AWS::AccountId}:application/${Flags}/environment/${Production}
      Tags: [{Key: team, Value: config}]
Outputs:
  AssociationArn:
    Value: !GetAtt Notifications.Arn
"""


def test_a_template_declares_the_association(world: World, tmp_path: Path) -> None:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appconfig-extensionassociation.html:
    the local provisioner creates AWS::AppConfig::ExtensionAssociation (Ref: its ID; GetAtt Arn,
    ExtensionArn, ResourceArn; Tags as Key/Value pairs)."""
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    stack = provision(path, {}, world.cloud.client)
    association = world.appconfig.get_extension_association(ExtensionAssociationId=stack.ref("Notifications"))
    assert association["Arn"] == stack.output("AssociationArn")
    env = stack.ref("Production")
    assert association["ResourceArn"].endswith(f"application/{stack.ref('Flags')}/environment/{env}")
    assert world.appconfig.list_tags_for_resource(ResourceArn=association["Arn"])["Tags"] == {
        "team": "config"
    }
