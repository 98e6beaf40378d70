"""S3 -> EventBridge -> rule -> local Lambda delivery, through real boto3 clients against moto.

S3's events as AWS documents them (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html):
one "Object Created" per new version, whatever API created it, with that version's ID, a
sequencer that grows, and the API as ``reason``; EventBridge's delivery to Lambda targets only
for enabled rules whose pattern matches, and only when the function's resource policy allows it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from localcloud import s3_writes
from localcloud.delivery import Delivery, DeliveryChaos, LambdaDeliveries
from localcloud.eventbridge import EventBus
from localcloud.iam.lambda_permissions import FunctionPolicies
from localcloud.s3_events import S3Notifications
from localcloud.testing import allow_eventbridge

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef, TargetTypeDef

    from localcloud.testing import LocalCloud

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:stack-Target-ABC"
BUCKET = "events-bucket"
KEY = "team a/feature+file.yml"


class Functions:
    """The one function of these tests."""

    def target(self, arn: str) -> tuple[str, str]:
        if arn != FUNCTION_ARN:
            raise KeyError(arn)
        return "Target", arn


class Wired:
    def __init__(self, cloud: LocalCloud) -> None:
        self.invoked: list[tuple[str, dict[str, Any], float]] = []
        self.deliveries = LambdaDeliveries(lambda f, e, d: self.invoked.append((f, e, d)))
        self.functions = Functions()
        self.policies = FunctionPolicies()
        """The function's resource-based policy, as AWS::Lambda::Permission statements make it."""
        self.bus = EventBus(self.deliveries, self.functions, self.policies).install()
        self.s3_events = S3Notifications(self.deliveries, lambda arn: self.functions.target(arn)[0]).install()
        self.events = cloud.client("events")
        self.s3 = cloud.client("s3")

    def rule(self, name: str, pattern: dict[str, Any], *, targets: list[TargetTypeDef] | None = None) -> str:
        arn = str(self.events.put_rule(Name=name, EventPattern=json.dumps(pattern))["RuleArn"])
        self.events.put_targets(Rule=name, Targets=targets or [{"Id": "fn", "Arn": FUNCTION_ARN}])
        self.policies.add_permission(FUNCTION_ARN, name, principal="events.amazonaws.com", source_arn=arn)
        return arn

    def close(self) -> None:
        self.s3_events.uninstall()
        self.bus.uninstall()


@pytest.fixture
def wired(local_cloud: LocalCloud) -> Iterator[Wired]:
    setup = Wired(local_cloud)
    setup.s3.create_bucket(Bucket=BUCKET)
    setup.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    setup.s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    yield setup
    setup.close()


def object_created(key: str = KEY) -> dict[str, Any]:
    return {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"object": {"key": [key]}}}


def test_every_api_that_creates_a_version_sends_one_object_created_event(wired: Wired) -> None:
    wired.rule("uploads", object_created())
    first = s3_writes.put(wired.s3, BUCKET, KEY, b"a: 1\n")
    versions = {
        "PutObject": first,
        "POST Object": s3_writes.post(wired.s3, BUCKET, KEY, b"a: 2\n"),
        "CopyObject": s3_writes.copy(wired.s3, BUCKET, KEY, first),
        "CompleteMultipartUpload": s3_writes.multipart(wired.s3, BUCKET, KEY, b"a: 3\n" * 1_100_000),
    }
    events = [event for _, event, _ in wired.invoked]
    assert [e["detail"]["reason"] for e in events] == list(versions)
    assert [e["detail"]["object"]["version-id"] for e in events] == list(versions.values())
    sequencers = [e["detail"]["object"]["sequencer"] for e in events]
    assert sequencers == sorted(sequencers)
    assert len(set(sequencers)) == 4
    for event in events:
        assert event["detail-type"] == "Object Created"
        assert event["source"] == "aws.s3"
        assert event["resources"] == [f"arn:aws:s3:::{BUCKET}"]
        assert event["detail"]["bucket"] == {"name": BUCKET}
        assert event["detail"]["object"]["key"] == KEY  # as it is: EventBridge events are not URL-encoded
        assert event["time"].endswith("Z")
        assert "ingestion-time" not in event


def test_tagging_a_version_is_no_upload_and_other_keys_do_not_match(wired: Wired) -> None:
    wired.rule("uploads", object_created())
    tags = wired.rule("tags", {"source": ["aws.s3"], "detail-type": ["Object Tags Added"]})
    version = s3_writes.put(wired.s3, BUCKET, KEY, b"a: 1\n")
    s3_writes.put(wired.s3, BUCKET, "my-" + KEY.rsplit("/", 1)[-1], b"a: 1\n")
    wired.s3.put_object_tagging(
        Bucket=BUCKET, Key=KEY, VersionId=version, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}
    )
    kinds = [(e["detail-type"], e["detail"]["object"]["key"]) for _, e, _ in wired.invoked]
    # One upload of the key, one tagging request (moto's own tagging of new objects is not S3's).
    assert kinds == [("Object Created", KEY), ("Object Tags Added", KEY)]
    assert tags


def test_a_disabled_rule_matches_nothing(wired: Wired) -> None:
    wired.rule("uploads", object_created())
    wired.events.disable_rule(Name="uploads")
    s3_writes.put(wired.s3, BUCKET, KEY, b"a: 1\n")
    assert wired.invoked == []


def test_without_permission_eventbridge_cannot_invoke_the_function(wired: Wired) -> None:
    arn = wired.rule("uploads", object_created())
    other = wired.events.put_rule(Name="another", EventPattern=json.dumps(object_created()))["RuleArn"]
    wired.policies.replace(FunctionPolicies())
    # A permission for another rule does not let this one invoke (AWS:SourceArn is checked).
    wired.policies.add_permission(FUNCTION_ARN, "other", principal="events.amazonaws.com", source_arn=other)
    s3_writes.put(wired.s3, BUCKET, KEY, b"a: 1\n")
    assert wired.invoked == []
    (undelivered,) = wired.bus.undelivered  # "another" has no target
    assert (undelivered.rule_arn, undelivered.target_arn) == (arn, FUNCTION_ARN)
    assert "does not allow" in undelivered.reason


def test_put_events_from_any_client_reach_lambda_sqs_and_sns_targets(
    wired: Wired, local_cloud: LocalCloud
) -> None:
    sqs, sns = local_cloud.client("sqs"), local_cloud.client("sns")
    queue = sqs.create_queue(QueueName="status-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    allow_eventbridge(sqs, queue, queue_arn)  # as SQS requires of an EventBridge target
    topic = sns.create_topic(Name="status")["TopicArn"]
    topic_queue = sqs.create_queue(QueueName="status-topic")["QueueUrl"]
    topic_queue_arn = sqs.get_queue_attributes(QueueUrl=topic_queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=topic_queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    wired.rule(
        "status",
        {"source": ["config.rollout"], "detail": {"state": ["deployed"]}},
        targets=[
            {"Id": "fn", "Arn": FUNCTION_ARN, "InputPath": "$.detail"},
            {"Id": "queue", "Arn": queue_arn},
            {"Id": "topic", "Arn": topic},
        ],
    )
    entries: list[PutEventsRequestEntryTypeDef] = [
        {
            "Source": "config.rollout",
            "DetailType": "Version status",
            "Detail": json.dumps({"state": state, "v": 1}),
        }
        for state in ("deployed", "rejected")
    ]
    assert wired.events.put_events(Entries=entries)["FailedEntryCount"] == 0
    assert [(f, e) for f, e, _ in wired.invoked] == [("Target", {"state": "deployed", "v": 1})]
    (queued,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)["Messages"]
    assert json.loads(queued["Body"])["detail"] == {"state": "deployed", "v": 1}
    (published,) = sqs.receive_message(QueueUrl=topic_queue, WaitTimeSeconds=0)["Messages"]
    message = json.loads(published["Body"])
    assert (message["detail-type"], message["detail"]) == ("Version status", {"state": "deployed", "v": 1})
    assert message["time"].endswith("Z")


def test_chaos_duplicates_and_delays_and_holding_keeps_deliveries(wired: Wired) -> None:
    wired.rule("uploads", object_created())
    wired.deliveries.chaos = DeliveryChaos(duplicate_probability=1.0, max_delay=2.0, seed=7)
    s3_writes.put(wired.s3, BUCKET, KEY, b"a: 1\n")
    (first, second) = wired.invoked
    assert first[1] == second[1]  # the same event (same id) twice: at least once
    assert all(0 <= delay <= 2.0 for _, _, delay in wired.invoked)
    wired.deliveries.holding = True
    held: list[Delivery] = []
    wired.deliveries.on_hold = held.append
    version = s3_writes.put(wired.s3, BUCKET, KEY, b"a: 2\n")
    assert len(wired.invoked) == 2
    (kept,) = wired.deliveries.held
    assert held == [kept]
    assert kept.event["detail"]["object"]["version-id"] == version
    assert wired.deliveries.release() == 1
    assert len(wired.invoked) == 4  # still duplicated: the chaos applies to held deliveries too


def test_direct_s3_notifications_still_carry_version_and_sequencer(wired: Wired) -> None:
    wired.s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": FUNCTION_ARN, "Events": ["s3:ObjectCreated:*"]},
            ]
        },
        SkipDestinationValidation=True,
    )
    version = s3_writes.put(wired.s3, BUCKET, KEY, b"a: 1\n")
    copied = s3_writes.copy(wired.s3, BUCKET, KEY, version)
    records = [e["Records"][0] for _, e, _ in wired.invoked]
    assert [r["eventName"] for r in records] == ["ObjectCreated:Put", "ObjectCreated:Copy"]
    assert [r["s3"]["object"]["versionId"] for r in records] == [version, copied]
    assert records[0]["s3"]["object"]["sequencer"] < records[1]["s3"]["object"]["sequencer"]
    assert wired.s3_events.errors == []
