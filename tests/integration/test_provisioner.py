"""The local provisioner: template.yaml, SAM-transformed, created through real boto3 clients.

What CloudFormation would create is there, named as CloudFormation names it, and what the
services keep (IAM's roles and policies, EventBridge's rule, S3's bucket settings, AppConfig's
profile) can be read back through their APIs. What the provisioner cannot create as AWS would,
it refuses by name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from localcloud.cfn import names
from localcloud.stack import ProvisioningError, Stack, provision
from tests.template.conftest import LONGEST_STACK_NAME

if TYPE_CHECKING:
    from localcloud.testing import LocalCloud

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


def test_the_stack_of_the_longest_stack_name_is_created(local_cloud: LocalCloud) -> None:
    stack = provision(TEMPLATE, {}, local_cloud.client, stack_name=LONGEST_STACK_NAME)
    for function in stack.functions.values():
        names.check("AWS::Lambda::Function", function.logical_id, function.name)
    iam = local_cloud.client("iam")
    for role in iam.list_roles()["Roles"]:
        assert len(role["RoleName"]) <= 64
    bucket = stack.ref("ConfigBucket")
    assert bucket.startswith(LONGEST_STACK_NAME[:20].lower())
    assert len(bucket) <= 63


@pytest.fixture
def stack(local_cloud: LocalCloud) -> Stack:
    return provision(TEMPLATE, {"ConfigPrefix": "team-a/"}, local_cloud.client, stack_name="config-rollout")


def test_every_role_is_in_iam_with_its_trust_and_its_policies(stack: Stack, local_cloud: LocalCloud) -> None:
    iam = local_cloud.client("iam")
    resources = stack.transformed.template["Resources"]
    roles = {logical_id: r for logical_id, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    assert {"DeployFunctionRole", "ValidatorFunctionRole", "RetrievalRole", "MonitorRole"} <= set(roles)
    for logical_id, resource in roles.items():
        name = stack.ref(logical_id)
        role = iam.get_role(RoleName=name)["Role"]
        assert role["Arn"] == stack.attribute(logical_id, "Arn")
        expected = stack.resolver.resolve(resource["Properties"])
        assert role["AssumeRolePolicyDocument"] == expected["AssumeRolePolicyDocument"]
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        # Its own policies and the AWS::IAM::Policy resources that name it (one per configuration
        # or stage), which CloudFormation puts on the role as inline policies too.
        attached_to_it = [
            stack.resolver.resolve(r["Properties"])
            for r in resources.values()
            if r["Type"] == "AWS::IAM::Policy" and name in stack.resolver.resolve(r["Properties"]["Roles"])
        ]
        assert sorted(inline) == sorted(
            [p["PolicyName"] for p in expected.get("Policies", [])]
            + [p["PolicyName"] for p in attached_to_it]
        )
        for policy in expected.get("Policies", []) + attached_to_it:
            stored = iam.get_role_policy(RoleName=name, PolicyName=policy["PolicyName"])["PolicyDocument"]
            assert isinstance(stored, dict)  # boto3 decodes the URL-encoded JSON
            assert stored["Statement"] == policy["PolicyDocument"]["Statement"]
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        assert sorted(p["PolicyArn"] for p in attached) == sorted(expected.get("ManagedPolicyArns", []))
    # AWS's managed policies SAM attaches, with their real documents.
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    version = iam.get_policy(PolicyArn=basic)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=basic, VersionId=version)["PolicyVersion"]["Document"]
    assert isinstance(document, dict)
    assert document["Statement"][0]["Action"] == [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]


def test_each_function_runs_with_its_role_environment_layers_and_invoke_config(stack: Stack) -> None:
    deploy = stack.functions["DeployFunction"]
    assert deploy.role_arn == stack.attribute("DeployFunctionRole", "Arn")
    assert deploy.code_dir == ROOT / "functions" / "deploy"
    assert deploy.environment["CONFIG_BUCKET"] == stack.ref("ConfigBucket")
    assert deploy.environment["CONFIG_PREFIX"] == "team-a/"
    assert deploy.environment["CONFIGURATIONS"] == "feature-file.yml"
    assert deploy.environment["ENVIRONMENTS"] == "production"
    assert deploy.environment["APPCONFIG_PROFILE_ID_featurefileyml"] == stack.ref("Profilefeaturefileyml")
    assert deploy.environment["APPCONFIG_ENVIRONMENT_ID_production"] == stack.ref("Environmentproduction")
    # Declared for `sam local invoke`, absent in AWS.
    for absent in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_APPCONFIG", "APPCONFIG_KMS_KEY_IDENTIFIER"):
        assert absent not in deploy.environment
    # Lambda polls the deploy queue for it: one request at a time, a held one reported, not raised.
    (mapping,) = deploy.event_source_mappings
    assert (mapping.queue_url, mapping.batch_size) == (stack.ref("DeployQueue"), 1)
    assert mapping.fifo
    assert mapping.report_batch_item_failures
    assert deploy.environment["DEPLOY_QUEUE_URL"] == stack.ref("DeployQueue")
    status = stack.functions["StatusFunction"]
    assert status.invoke_config.on_failure_queue_url == stack.ref("StatusFailureQueue")
    # Nobody invokes it but its event source mapping (which uses its role): no resource policy.
    assert stack.function_policies.policy(deploy.arn) is None
    api = stack.functions["FlagsApiFunctionproduction"]
    (spec,) = [s for s in stack.function_specs() if s.name == "FlagsApiFunctionproduction"]
    assert spec.layer_paths == (ROOT / "layers" / "appconfig-cache" / "python",)
    assert api.url
    assert api.url.startswith("https://")
    assert "AWS_APPCONFIG_EXTENSION_LOCAL_DEVELOPMENT_DIRECTORY" not in api.environment


def test_the_rule_matches_exactly_the_key_of_the_bucket(stack: Stack, local_cloud: LocalCloud) -> None:
    events = local_cloud.client("events")
    rule = events.describe_rule(Name=stack.ref("Uploadsfeaturefileyml"))
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [stack.ref("ConfigBucket")]},
            "object": {"key": ["team-a/feature-file.yml"]},
        },
    }
    (target,) = events.list_targets_by_rule(Rule=stack.ref("Uploadsfeaturefileyml"))["Targets"]
    assert target["Arn"] == stack.attribute("DeployQueue", "Arn")
    assert target["SqsParameters"] == {"MessageGroupId": "production"}
    s3 = local_cloud.client("s3")
    notifications = s3.get_bucket_notification_configuration(Bucket=stack.ref("ConfigBucket"))
    assert "LambdaFunctionConfigurations" not in notifications
    # moto's GetBucketNotificationConfiguration leaves EventBridgeConfiguration out; it keeps it.
    from moto.s3.models import s3_backends

    bucket = s3_backends["123456789012"]["aws"].buckets[stack.ref("ConfigBucket")]
    assert bucket.notification_configuration is not None
    assert bucket.notification_configuration.event_bridge == {}


def test_the_profile_reads_the_object_of_the_bucket(stack: Stack, local_cloud: LocalCloud) -> None:
    profile = local_cloud.client("appconfig").get_configuration_profile(
        ApplicationId=stack.ref("Application"), ConfigurationProfileId=stack.ref("Profilefeaturefileyml")
    )
    assert profile["LocationUri"] == f"s3://{stack.ref('ConfigBucket')}/team-a/feature-file.yml"
    assert profile["RetrievalRoleArn"] == stack.attribute("RetrievalRole", "Arn")
    assert stack.records.deletion_protection == {
        "Environmentproduction": "ACCOUNT_DEFAULT",
        "Profilefeaturefileyml": "ACCOUNT_DEFAULT",
    }


def test_without_a_kms_key_the_bucket_uses_sse_s3_and_no_one_may_use_a_key(
    stack: Stack, local_cloud: LocalCloud
) -> None:
    s3 = local_cloud.client("s3")
    (rule,) = s3.get_bucket_encryption(Bucket=stack.ref("ConfigBucket"))["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    iam = local_cloud.client("iam")
    for role in ("RetrievalRole", "DeployFunctionRole"):
        for name in iam.list_role_policies(RoleName=stack.ref(role))["PolicyNames"]:
            document = iam.get_role_policy(RoleName=stack.ref(role), PolicyName=name)["PolicyDocument"]
            assert "kms:" not in json.dumps(document)


def test_with_a_kms_key_the_bucket_uses_it_with_a_bucket_key_and_the_roles_may_use_only_it(
    local_cloud: LocalCloud,
) -> None:
    key = local_cloud.client("kms").create_key()["KeyMetadata"]["Arn"]
    stack = provision(TEMPLATE, {"KmsKeyArn": key}, local_cloud.client, stack_name="encrypted")
    s3 = local_cloud.client("s3")
    (rule,) = s3.get_bucket_encryption(Bucket=stack.ref("ConfigBucket"))["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    assert rule["BucketKeyEnabled"] is True
    iam = local_cloud.client("iam")

    def kms_statements(role: str) -> list[Any]:
        found: list[Any] = []
        for name in iam.list_role_policies(RoleName=stack.ref(role))["PolicyNames"]:
            document = iam.get_role_policy(RoleName=stack.ref(role), PolicyName=name)["PolicyDocument"]
            assert isinstance(document, dict)
            found += [s for s in document["Statement"] if "kms:" in json.dumps(s["Action"])]
        return found

    assert [(s["Action"], s["Resource"]) for s in kms_statements("RetrievalRole")] == [("kms:Decrypt", key)]
    assert [(s["Action"], s["Resource"]) for s in kms_statements("DeployFunctionRole")] == [
        ("kms:GenerateDataKey", key)
    ]
    assert stack.functions["DeployFunction"].environment["APPCONFIG_KMS_KEY_IDENTIFIER"] == key
    assert "--sse-kms-key-id " + key in stack.output("UploadCommand")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t["Resources"].update(Extra={"Type": "AWS::DynamoDB::Table", "Properties": {}}),
         "Extra: the local cloud cannot create AWS::DynamoDB::Table"),
        (lambda t: t["Resources"]["DeployQueue"]["Properties"].update(FifoThroughputLimit="perQueue"),
         "DeployQueue: the local cloud does not apply FifoThroughputLimit"),
        (lambda t: t["Resources"]["CustomDeploymentStrategy"]["Properties"].update(Name="x" * 65),
         "CustomDeploymentStrategy: Name 'xxx"),
        (lambda t: t["Resources"]["ConfigBucket"]["Properties"].update(BucketName="Not_A_Bucket"),
         "ConfigBucket: BucketName 'Not_A_Bucket' does not match"),
    ],
)  # fmt: skip
def test_what_cannot_be_created_as_in_aws_is_refused_by_name(
    local_cloud: LocalCloud, tmp_path: Path, edit: Any, message: str
) -> None:
    from localcloud.template import load

    source = load(TEMPLATE)
    edit(source)
    variant = tmp_path / "template.yaml"
    variant.write_text(yaml.safe_dump(source))
    for folder in ("functions", "layers"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    with pytest.raises(ProvisioningError, match=message.replace("(", r"\(")):
        provision(variant, {}, local_cloud.client)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"Architecture": "mips"}, "Architecture='mips' is not one of"),
        ({"ConfigPrefix": "no-slash"}, "ConfigPrefix='no-slash' does not match"),
        ({"Unknown": "x"}, r"parameters \['Unknown'\] are not declared"),
        ({"KmsKeyArn": "alias/mine"}, "KmsKeyArn='alias/mine' does not match"),
    ],
)
def test_parameters_are_checked_before_anything_is_created(
    local_cloud: LocalCloud, parameters: dict[str, str], message: str
) -> None:
    with pytest.raises(ProvisioningError, match=message):
        provision(TEMPLATE, parameters, local_cloud.client)
    assert local_cloud.client("s3").list_buckets()["Buckets"] == []
