"""The template: lint clean, builds without Docker for both architectures, wired as intended."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.template.conftest import ROOT, tool

if TYPE_CHECKING:
    from collections.abc import Callable

OBJECT_ARN = "${ConfigBucket.Arn}/${ConfigPrefix}feature-file.yml"
BUCKET_ARN = {"Fn::GetAtt": ["ConfigBucket", "Arn"]}


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        [str(c) for c in command], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300
    )


def test_cfn_lint_reports_no_errors_and_no_warnings() -> None:
    result = run(tool("cfn-lint"), "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_sam_validate_lint_passes() -> None:
    result = run(tool("sam"), "validate", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_finds_nothing_beyond_the_documented_exceptions() -> None:
    result = run(tool("checkov"), "--config-file", ".checkov.yaml", "-f", "template.yaml", "--output", "json")
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c["check_id"] + " " + c["resource"] for r in reports for c in r["results"]["failed_checks"]]
    assert failed == []


def test_sam_build_without_docker_holds_the_deploy_function(sam_build: Callable[[], Path]) -> None:
    artifact = sam_build() / "DeployFunction"
    assert (artifact / "deployer" / "handler.py").is_file()
    assert (artifact / "aws_lambda_powertools" / "__init__.py").is_file()
    # The runtime provides the AWS SDK; bundling it would only slow the cold start.
    assert not (artifact / "boto3").exists()
    assert not (artifact / "botocore").exists()
    # Only sources that belong in the function: no tests, no build files.
    assert not (artifact / "requirements.in").exists()
    if _has_python313():
        assert (artifact / "deployer" / "__pycache__" / "handler.cpython-313.pyc").is_file()


def test_the_built_template_leaves_the_architecture_to_deploy_time(sam_build: Callable[[], Path]) -> None:
    """`sam deploy` deploys the built template: the architecture stays a parameter it is given."""
    from localcloud.template import load

    built = load(sam_build() / "template.yaml")
    assert built["Parameters"]["Architecture"]["AllowedValues"] == ["arm64", "x86_64"]
    assert built["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]


def test_every_new_version_of_exactly_the_key_reaches_the_deploy_function(template: dict[str, Any]) -> None:
    """S3 -> EventBridge -> the deploy queue -> the function: every API that creates a version sends
    "Object Created"; the rule matches the exact bucket and key, so no suffix filter lets
    "my-feature-file.yml" through; the queue hands the first stage one request at a time."""
    resources = template["Resources"]
    bucket = resources["ConfigBucket"]["Properties"]
    assert bucket["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    rule = resources["Uploadsfeaturefileyml"]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [{"Ref": "ConfigBucket"}]},
            "object": {"key": [{"Fn::Sub": "${ConfigPrefix}feature-file.yml"}]},
        },
    }
    assert "EventBusName" not in rule  # S3 sends to the default bus only
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["DeployQueue", "Arn"]}
    # The message group is the first stage: its requests are handed out one at a time, in order.
    assert target["SqsParameters"] == {"MessageGroupId": {"Fn::Select": [0, {"Ref": "Environments"}]}}
    queue = resources["DeployQueue"]["Properties"]
    assert queue["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is True  # a repeated delivery of one event is one message
    (event,) = resources["DeployFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["DeployQueue", "Arn"]}
    assert event["Properties"]["BatchSize"] == 1
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_profile_points_at_the_bucket_and_key_the_function_watches(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    profile = resources["Profilefeaturefileyml"]["Properties"]
    assert profile["Type"] == "AWS.Freeform"
    assert profile["LocationUri"] == {"Fn::Sub": "s3://${ConfigBucket}/${ConfigPrefix}feature-file.yml"}
    assert "BucketName" not in resources["ConfigBucket"]["Properties"]  # CloudFormation names it
    variables = resources["DeployFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["CONFIG_BUCKET"] == {"Ref": "ConfigBucket"}
    assert variables["CONFIG_PREFIX"] == {"Ref": "ConfigPrefix"}
    assert variables["CONFIGURATIONS"] == {"Fn::Join": [",", {"Ref": "Configurations"}]}
    assert variables["APPCONFIG_PROFILE_ID_featurefileyml"] == {
        "Fn::GetAtt": ["Profilefeaturefileyml", "ConfigurationProfileId"]
    }


def test_bucket_is_versioned_private_encrypted_and_tls_only(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    bucket = resources["ConfigBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    rules = bucket["LifecycleConfiguration"]["Rules"]
    rule = next(r for r in rules if r["Id"] == "BoundNoncurrentVersions")
    # Noncurrent versions are rollback history: bounded, but the newest are kept at any age.
    assert rule["NoncurrentVersionExpiration"]["NewerNoncurrentVersions"] >= 10
    assert "ExpirationInDays" not in rule
    (statement,) = resources["ConfigBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _policies_of(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """The statements of the role's ``AWS::IAM::Policy`` resources (one per configuration or stage)."""
    return [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_retrieval_role_holds_exactly_the_documented_s3_permissions(template: dict[str, Any]) -> None:
    role = template["Resources"]["RetrievalRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "appconfig.amazonaws.com"}
    (policy,) = role["Policies"]
    statements = [*policy["PolicyDocument"]["Statement"], *_policies_of(template, "RetrievalRole")]
    grants = {tuple(sorted(_as_list(s["Action"]))): _resource(s["Resource"]) for s in _statements(statements)}
    assert grants == {
        ("s3:GetObject", "s3:GetObjectVersion"): OBJECT_ARN,
        (
            "s3:GetBucketLocation",
            "s3:GetBucketVersioning",
            "s3:ListBucket",
            "s3:ListBucketVersions",
        ): BUCKET_ARN,
        ("s3:ListAllMyBuckets",): "*",
        # Only with a customer managed key, and only on that key.
        ("kms:Decrypt",): {"Ref": "KmsKeyArn"},
    }


def test_deploy_function_policy_is_scoped_to_this_configuration(template: dict[str, Any]) -> None:
    (policy,) = template["Resources"]["DeployFunction"]["Properties"]["Policies"]
    statements = _statements([*policy["Statement"], *_policies_of(template, "DeployFunctionRole")])
    actions = sorted(a for s in statements for a in _as_list(s["Action"]))
    assert actions == [
        "appconfig:GetDeployment",
        "appconfig:GetDeployment",
        "appconfig:ListDeployments",
        "appconfig:ListDeployments",
        "appconfig:StartDeployment",
        "appconfig:StartDeployment",
        "appconfig:StartDeployment",
        "appconfig:StopDeployment",
        "appconfig:StopDeployment",
        "events:PutEvents",
        "kms:GenerateDataKey",
        "s3:GetObject",
        "s3:GetObject",
        "s3:GetObjectTagging",
        "s3:GetObjectVersionTagging",
        "s3:ListBucket",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "sqs:ChangeMessageVisibility",
    ]
    for statement in statements:
        for resource in _as_list(statement["Resource"]):
            text = json.dumps(resource)
            assert text != '"*"'
            assert "*" not in text or '/deployment/*"' in text or '.rollout/*"' in text, text
    s3 = next(s for s in statements if s["Action"] == "s3:GetObject")
    assert _resource(s3["Resource"]) == OBJECT_ARN
    # Listing is limited to the configuration object's own key (after S3's 403 for a deleted key).
    listing = next(s for s in statements if s["Action"] == "s3:ListBucket")
    assert listing["Resource"] == BUCKET_ARN
    assert listing["Condition"] == {
        "StringEquals": {"s3:prefix": {"Fn::Sub": "${ConfigPrefix}feature-file.yml"}}
    }


def test_failed_requests_are_retried_then_kept_on_an_encrypted_queue(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    queue = resources["DeployQueue"]["Properties"]
    redrive = queue["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeployFailureQueue", "Arn"]}
    # One source for the threshold: the function marks the version failed on the last receive.
    # (the expansion of the loops resolves the !FindInMap both name)
    variables = resources["DeployFunction"]["Properties"]["Environment"]["Variables"]
    assert redrive["maxReceiveCount"] == variables["DEPLOY_QUEUE_MAX_RECEIVES"]
    assert redrive["maxReceiveCount"] == template["Mappings"]["DeployQueue"]["Redrive"]["MaxReceiveCount"]
    assert 1 < redrive["maxReceiveCount"] <= 20
    # AWS: at least six times the function's timeout, so a batch in progress is not handed out twice.
    assert queue["VisibilityTimeout"] >= 6 * resources["DeployFunction"]["Properties"]["Timeout"]
    failures = resources["DeployFailureQueue"]["Properties"]
    assert failures["FifoQueue"] is True  # the dead-letter queue of a FIFO queue is FIFO
    assert failures["SqsManagedSseEnabled"] is True
    assert queue["SqsManagedSseEnabled"] is True


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(statements: list[Any]) -> list[dict[str, Any]]:
    """Every statement, the conditional ones (``!If [HasKmsKey, statement, AWS::NoValue]``) included."""
    found = []
    for statement in statements:
        if "Fn::If" in statement:
            condition, present, absent = statement["Fn::If"]
            assert condition == "HasKmsKey"
            assert absent == {"Ref": "AWS::NoValue"}
            found.append(present)
        else:
            found.append(statement)
    return found


def _resource(value: Any) -> Any:
    """The text of a !Sub (short form "text" or long form [text, variables]); anything else as is."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return value


def _has_python313() -> bool:
    candidates = [
        shutil.which("python3.13"),
        *map(str, Path.home().glob(".pyenv/versions/3.13*/bin/python3.13")),
    ]
    return any(c and run(c, "-c", "").returncode == 0 for c in candidates)


@pytest.mark.parametrize(
    ("function", "package"),
    [("FlagsApiFunctionproduction", "flags_api"), ("OrderWorkerFunctionproduction", "order_worker")],
)
def test_consumers_carry_their_code_and_powertools_but_no_parser(
    sam_build: Callable[[], Path], function: str, package: str
) -> None:
    artifact = sam_build() / function
    assert (artifact / package / "handler.py").is_file()
    assert (artifact / "aws_lambda_powertools" / "__init__.py").is_file()
    # The extension evaluates the flags (and parses the YAML): the function needs no parser.
    assert not (artifact / "yaml").exists()
    # The client comes from the layer, never bundled twice.
    assert not (artifact / "appconfig_cache").exists()


def test_consumers_use_the_layer_and_may_read_only_their_configuration(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    for name in ("FlagsApiFunctionproduction", "OrderWorkerFunctionproduction"):
        props = resources[name]["Properties"]
        assert props["Layers"] == [{"Ref": "AppConfigCacheLayer"}]
        variables = props["Environment"]["Variables"]
        assert variables["APPCONFIG_ENVIRONMENT"] == "production"
        assert "AWS_APPCONFIG_EXTENSION_PREFETCH_LIST" in variables
        assert "AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS" in variables
        assert "Policies" not in props  # the stage's policy below names the consumers' roles
    policy = resources["ConsumersReadproductionfeaturefileyml"]["Properties"]
    assert policy["Roles"] == [
        {"Fn::Sub": "${FlagsApiFunctionproductionRole}"},
        {"Fn::Sub": "${OrderWorkerFunctionproductionRole}"},
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert sorted(statement["Action"]) == [
        "appconfig:GetLatestConfiguration",
        "appconfig:StartConfigurationSession",
    ]
    assert _resource(statement["Resource"]).endswith(
        "environment/${Environmentproduction.EnvironmentId}/configuration/${Profilefeaturefileyml}"
    )


def test_the_environment_watches_the_consumers_alarm(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    (monitor,) = resources["Environmentproduction"]["Properties"]["Monitors"]
    assert monitor["AlarmArn"] == {"Fn::GetAtt": ["ConsumerErrorsAlarmproduction", "Arn"]}
    alarm = resources["ConsumerErrorsAlarmproduction"]["Properties"]
    watched = {
        json.dumps(q["MetricStat"]["Metric"]["Dimensions"][0]["Value"], sort_keys=True)
        for q in alarm["Metrics"]
        if "MetricStat" in q
    }
    named = {
        json.dumps(resources[f]["Properties"]["FunctionName"], sort_keys=True)
        for f in ("FlagsApiFunctionproduction", "OrderWorkerFunctionproduction")
    }
    assert watched == named
    assert len(named) == 2


def test_each_stages_consumers_prefetch_and_may_read_only_that_stages_configurations() -> None:
    """Two configurations, two stages: a stage's consumers prefetch that stage's configuration and
    their roles may read that stage's configurations only (one policy per stage and configuration)."""
    from localcloud.cfn.language_extensions import expand
    from localcloud.template import load

    stages, configurations = (
        ("staging", "production"),
        {"featurefileyml": "feature-file.yml", "otheryml": "other.yml"},
    )
    parameters = {"Configurations": ",".join(configurations.values()), "Environments": ",".join(stages)}
    resources = expand(load(ROOT / "template.yaml"), parameters, region="us-east-1")["Resources"]
    readers = {k: r["Properties"] for k, r in resources.items() if k.startswith("ConsumersRead")}
    assert set(readers) == {f"ConsumersRead{s}{c}" for s in stages for c in configurations}
    for stage in stages:
        consumers = [f"FlagsApiFunction{stage}", f"OrderWorkerFunction{stage}"]
        for name in consumers:
            variables = resources[name]["Properties"]["Environment"]["Variables"]
            assert variables["APPCONFIG_ENVIRONMENT"] == stage
            assert _resource(variables["AWS_APPCONFIG_EXTENSION_PREFETCH_LIST"]) == (
                "${AppConfigApplicationName}:" + stage + ":${FeatureFlags}"
            )
        for configuration in configurations:
            policy = readers[f"ConsumersRead{stage}{configuration}"]
            assert policy["Roles"] == [{"Fn::Sub": "${" + name + "Role}"} for name in consumers]
            (statement,) = policy["PolicyDocument"]["Statement"]
            assert _resource(statement["Resource"]).endswith(
                f"environment/${{Environment{stage}.EnvironmentId}}/configuration/${{Profile{configuration}}}"
            )
