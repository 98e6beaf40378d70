"""Physical names, as CloudFormation gives them, and the name limits of the services.

A resource without an explicit name gets ``{stack name}-{logical ID}-{random suffix}``, cut so
that it fits the service's limit (CloudFormation's "Name type" page); an explicit name that a
service would refuse is refused here, before anything is created, with the limit it breaks.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass


class NameError_(ValueError):
    """An explicit name the service would refuse."""


@dataclass(frozen=True)
class NameRule:
    property: str
    """The resource property that holds the name."""
    max_length: int
    pattern: str
    """What the whole name must match."""
    lowercase: bool = False
    source: str = ""


_LAMBDA = "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"
_APPCONFIG = "https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_Create{}.html"
RULES: dict[str, NameRule] = {
    "AWS::S3::Bucket": NameRule(
        "BucketName",
        63,
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        lowercase=True,
        source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    "AWS::IAM::Role": NameRule(
        "RoleName",
        64,
        r"[\w+=,.@-]{1,64}",
        source="https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
    ),
    "AWS::Lambda::Function": NameRule("FunctionName", 64, r"[a-zA-Z0-9_-]{1,64}", source=_LAMBDA),
    "AWS::Lambda::LayerVersion": NameRule(
        "LayerName",
        140,
        r"[a-zA-Z0-9_-]{1,140}",
        source="https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html",
    ),
    "AWS::SQS::Queue": NameRule(
        "QueueName",
        80,
        r"[a-zA-Z0-9_-]{1,80}(\.fifo)?",
        source="https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
    ),
    "AWS::Events::Rule": NameRule(
        "Name",
        64,
        r"[\.\-_A-Za-z0-9]{1,64}",
        source="https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html",
    ),
    "AWS::Logs::LogGroup": NameRule(
        "LogGroupName",
        512,
        r"[\.\-_/#A-Za-z0-9]{1,512}",
        source="https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
    "AWS::CloudWatch::Alarm": NameRule(
        "AlarmName",
        255,
        r".{1,255}",
        source="https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
    ),
    "AWS::AppConfig::Application": NameRule("Name", 64, r".{1,64}", source=_APPCONFIG.format("Application")),
    "AWS::AppConfig::Environment": NameRule("Name", 64, r".{1,64}", source=_APPCONFIG.format("Environment")),
    "AWS::AppConfig::ConfigurationProfile": NameRule(
        "Name", 128, r".{1,128}", source=_APPCONFIG.format("ConfigurationProfile")
    ),
    "AWS::AppConfig::DeploymentStrategy": NameRule(
        "Name", 64, r".{1,64}", source=_APPCONFIG.format("DeploymentStrategy")
    ),
}
# Resources CloudFormation names even without a name property (AppConfig requires one).
GENERATED = {k for k in RULES if not k.startswith("AWS::AppConfig::")}
STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
"""https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html"""


def check_stack_name(name: str) -> str:
    if not STACK_NAME.fullmatch(name):
        raise NameError_(
            f"stack name {name!r}: 1-128 characters, a letter first, then letters, digits and hyphens"
        )
    return name


def generated(resource_type: str, stack_name: str, logical_id: str) -> str:
    """``stack-LogicalId-SUFFIX``, cut to the service's limit, as CloudFormation names it."""
    rule = RULES[resource_type]
    alphabet = string.ascii_uppercase + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(12))
    stem = f"{stack_name}-{logical_id}"[: rule.max_length - len(suffix) - 1]
    name = f"{stem}-{suffix}"
    return name.lower() if rule.lowercase else name


def check(resource_type: str, logical_id: str, name: str) -> str:
    rule = RULES[resource_type]
    if len(name) > rule.max_length:
        raise NameError_(
            f"{logical_id}: {rule.property} {name!r} has {len(name)} characters; "
            f"{resource_type} allows {rule.max_length} ({rule.source})"
        )
    if not re.fullmatch(rule.pattern, name):
        raise NameError_(
            f"{logical_id}: {rule.property} {name!r} does not match {rule.pattern} ({rule.source})"
        )
    return name
