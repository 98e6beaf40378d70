"""IAM enforcement in the local cloud, as botocore sees it: each service's own AccessDenied, and
S3's 403-or-404 for a missing key.

A role is created in moto's IAM and assumed as Lambda assumes a function's execution role; its
session's clients call moto and the local AppConfig service.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from localcloud.iam.accounts import LAMBDA, Accounts
from localcloud.iam.lambda_permissions import FunctionPolicies, InvokeDenied

if TYPE_CHECKING:
    from localcloud.testing import LocalCloud

pytestmark = pytest.mark.integration
ACCOUNT = "123456789012"
BUCKET = "iam-bucket"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": LAMBDA}, "Action": "sts:AssumeRole"}]}  # fmt: skip


def session(cloud: LocalCloud, service: str, *statements: dict[str, Any]) -> Any:
    """A client of ``service`` with a fresh role's session; the role allows ``statements`` only."""
    iam = cloud.client("iam")
    name = f"role-{len(iam.list_roles()['Roles'])}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if statements:
        document = {"Version": "2012-10-17", "Statement": list(statements)}
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    credentials = Accounts(ACCOUNT, "us-east-1").assume_role_as_service(arn, LAMBDA, "fn")
    return cloud.client(service, **credentials.client_arguments())


@pytest.fixture
def bucket(local_cloud: LocalCloud) -> Any:
    s3 = local_cloud.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=BUCKET, Key="present.yml", Body=b"a: 1")
    return s3


READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
LIST = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"}


def status(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_a_missing_key_is_403_without_list_bucket(local_cloud: LocalCloud, bucket: Any) -> None:
    """HeadObject/GetObject, "Permissions": "If you don't have the s3:ListBucket permission,
    Amazon S3 returns an HTTP status code 403 Forbidden error"."""
    s3 = session(local_cloud, "s3", READ)
    assert s3.head_object(Bucket=BUCKET, Key="present.yml")["ContentLength"] == 4
    assert status(lambda: s3.head_object(Bucket=BUCKET, Key="gone.yml"))[0] == 403
    assert status(lambda: s3.get_object(Bucket=BUCKET, Key="gone.yml")) == (403, "AccessDenied")


def test_a_missing_key_is_404_with_list_bucket(local_cloud: LocalCloud, bucket: Any) -> None:
    s3 = session(local_cloud, "s3", READ, LIST)
    assert status(lambda: s3.head_object(Bucket=BUCKET, Key="gone.yml"))[0] == 404
    assert status(lambda: s3.get_object(Bucket=BUCKET, Key="gone.yml")) == (404, "NoSuchKey")


def test_list_bucket_scoped_by_prefix_lists_only_that_prefix(local_cloud: LocalCloud, bucket: Any) -> None:
    scoped = {**LIST, "Condition": {"StringEquals": {"s3:prefix": "present.yml"}}}
    s3 = session(local_cloud, "s3", READ, scoped)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="present.yml")["Contents"]] == [
        "present.yml"
    ]
    assert status(lambda: s3.list_objects_v2(Bucket=BUCKET)) == (403, "AccessDenied")
    # HeadObject's own ListBucket check carries no s3:prefix, so a missing key stays 403.
    assert status(lambda: s3.head_object(Bucket=BUCKET, Key="gone.yml"))[0] == 403


def test_a_version_needs_get_object_version(local_cloud: LocalCloud, bucket: Any) -> None:
    version = bucket.put_object(Bucket=BUCKET, Key="v.yml", Body=b"x")["VersionId"]
    s3 = session(local_cloud, "s3", READ)
    assert s3.get_object(Bucket=BUCKET, Key="v.yml")["Body"].read() == b"x"
    code = status(lambda: s3.get_object(Bucket=BUCKET, Key="v.yml", VersionId=version))
    assert code == (403, "AccessDenied")


def test_appconfig_answers_access_denied_exception(local_cloud: LocalCloud) -> None:
    appconfig = session(local_cloud, "appconfig")
    app = local_cloud.client("appconfig").create_application(Name="a")
    assert status(lambda: appconfig.list_environments(ApplicationId=app["Id"])) == (
        403,
        "AccessDeniedException",
    )
    data = session(local_cloud, "appconfigdata")
    code = status(
        lambda: data.start_configuration_session(
            ApplicationIdentifier="a", EnvironmentIdentifier="e", ConfigurationProfileIdentifier="p"
        )
    )
    assert code == (403, "AccessDeniedException")


def test_an_unknown_key_is_refused_by_every_service(local_cloud: LocalCloud) -> None:
    fake = {
        "aws_access_key_id": "ASIAUNKNOWN000000000",
        "aws_secret_access_key": "x",
        "aws_session_token": "t",
    }
    assert status(lambda: local_cloud.client("appconfig", **fake).list_applications())[1] == (
        "UnrecognizedClientException"
    )
    assert status(lambda: local_cloud.client("s3", **fake).list_buckets())[1] == "InvalidAccessKeyId"


def test_cloudwatch_answers_access_denied(local_cloud: LocalCloud) -> None:
    cloudwatch = session(local_cloud, "cloudwatch")
    assert status(lambda: cloudwatch.describe_alarms(AlarmNames=["a"])) == (403, "AccessDenied")
    alarm_a = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:a"
    allowed = session(
        local_cloud,
        "cloudwatch",
        {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": alarm_a},
    )
    assert allowed.describe_alarms(AlarmNames=["a"])["MetricAlarms"] == []
    assert status(lambda: allowed.describe_alarms(AlarmNames=["b"])) == (403, "AccessDenied")


def test_a_wrong_secret_is_refused(local_cloud: LocalCloud, bucket: Any) -> None:
    s3 = session(local_cloud, "s3", READ)
    credentials = s3._request_signer._credentials
    forged = local_cloud.client(
        "s3", aws_access_key_id=credentials.access_key, aws_secret_access_key="wrong",
        aws_session_token=credentials.token,
    )  # fmt: skip
    assert status(lambda: forged.head_object(Bucket=BUCKET, Key="present.yml"))[0] == 403


def test_appconfig_invokes_a_function_only_as_its_policy_allows() -> None:
    """AWS::Lambda::Permission: the validator's resource-based policy must allow AppConfig."""
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:validator"
    policies = FunctionPolicies()
    with pytest.raises(InvokeDenied, match="no resource-based policy allows the lambda:InvokeFunction"):
        policies.authorize_service(arn, "appconfig.amazonaws.com")
    policies.add_permission(arn, "AppConfig", principal="appconfig.amazonaws.com")
    policies.authorize_service(arn, "appconfig.amazonaws.com")
    with pytest.raises(InvokeDenied):
        policies.authorize_service(arn, "s3.amazonaws.com")
    policies.add_permission(arn, "S3", principal="s3.amazonaws.com", source_account=ACCOUNT)
    with pytest.raises(InvokeDenied):  # the condition needs a source account the caller did not send
        policies.authorize_service(arn, "s3.amazonaws.com")
    policies.authorize_service(arn, "s3.amazonaws.com", {"aws:SourceAccount": ACCOUNT})
