"""The light path against real boto3 clients on the local cloud: what each call leaves in S3 and
what each answer means to the command must be the same.

The local cloud checks the SigV4 signature of every request signed with a role session's keys
(moto's own check, as AWS checks it) and enforces IAM, so a request the light path signs wrongly,
or sends where S3 would not accept it, fails here as it would in AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError
from rollout_status.model import Change, Status, Uploader
from rollout_status.store import StatusStore

from localcloud.iam.accounts import LAMBDA, Accounts
from localcloud.pipeline import ROOT
from localcloud.testing import versioned_bucket
from rollout.aws import Clients
from rollout.light import LightClients, light_clients
from rollout.target import TargetError, from_stack

if TYPE_CHECKING:
    from pathlib import Path

    from localcloud.testing import LocalCloud

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
BUCKET = "light-bucket"
KEY = "team a/feature-file ü+~.yml"
BODY = (ROOT / "demo" / "1-launch.yml").read_bytes()
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": LAMBDA}, "Action": "sts:AssumeRole"}]}  # fmt: skip
OBJECTS = {
    "Effect": "Allow",
    "Action": ["s3:PutObject", "s3:GetObject"],
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
}
LIST = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"}


@pytest.fixture
def s3(local_cloud: LocalCloud) -> Any:
    return versioned_bucket(local_cloud.client("s3"), BUCKET)


def role_environment(cloud: LocalCloud, *statements: dict[str, Any]) -> dict[str, str]:
    """The process environment of a caller holding a fresh role's session (signatures checked)."""
    iam = cloud.client("iam")
    name = f"light-{len(iam.list_roles()['Roles'])}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    credentials = Accounts(ACCOUNT, "us-east-1").assume_role_as_service(arn, LAMBDA, "ci")
    return {**os.environ, **credentials.environment()}


def clients_for(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[LightClients, Any]:
    """The light path's clients for the process environment ``env`` (its botocore clients read
    the process's, as the command's do), and a boto3 S3 client with the same keys."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fallback = Clients()
    light = light_clients(env, None, fallback)
    assert light is not None, "the local cloud's environment takes the light path"
    import boto3

    plain = boto3.client(
        "s3",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
    )
    return light, plain


def stored(s3: Any, key: str, version: str) -> dict[str, Any]:
    head = s3.head_object(Bucket=BUCKET, Key=key, VersionId=version, ChecksumMode="ENABLED")
    body = s3.get_object(Bucket=BUCKET, Key=key, VersionId=version)["Body"].read()
    return {
        "body": body,
        "type": head["ContentType"],
        "crc32": head.get("ChecksumCRC32"),
        "length": head["ContentLength"],
    }


@pytest.mark.parametrize("key", [KEY, "feature-file.yml", "a/./b//c/../d %2F#?.yml"])
def test_an_upload_leaves_what_botocores_leaves(
    s3: Any, local_cloud: LocalCloud, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    light, plain = clients_for(role_environment(local_cloud, OBJECTS, LIST), monkeypatch)
    params: Any = {"Bucket": BUCKET, "Key": key, "Body": BODY, "ContentType": "application/x-yaml"}
    ours = light.s3.put_object(**params)["VersionId"]
    theirs = plain.put_object(**params)["VersionId"]
    listed = [
        v["VersionId"]
        for v in s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]
        if v["Key"] == key
    ]
    assert sorted(listed) == sorted([ours, theirs])
    assert stored(s3, key, ours) == stored(s3, key, theirs)
    assert stored(s3, key, ours)["crc32"] is not None, "the upload carries botocore's default checksum"


def test_a_record_reads_the_same_present_absent_and_refused(
    s3: Any, local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = s3.put_object(Bucket=BUCKET, Key=KEY, Body=BODY)["VersionId"]
    writer = StatusStore(s3, local_cloud.client("events"), bucket=BUCKET, key=KEY)
    writer.report(
        version, Change("production", Status.DEPLOYED, "deployment 1 completed", 1), uploader=Uploader("ci")
    )

    def reads(env: dict[str, str], version_id: str) -> tuple[Any, Any]:
        light, plain = clients_for(env, monkeypatch)
        outcomes: list[Any] = []
        for client in (light.s3, plain):
            try:
                outcomes.append(StatusStore(client, None, bucket=BUCKET, key=KEY).read(version_id))
            except ClientError as error:
                outcomes.append(
                    (
                        error.response["ResponseMetadata"]["HTTPStatusCode"],
                        error.response["Error"]["Code"],
                        str(error),
                    )
                )
        return outcomes[0], outcomes[1]

    listing = role_environment(local_cloud, OBJECTS, LIST)
    ours, theirs = reads(listing, version)
    assert ours == theirs
    assert ours[0].status is Status.DEPLOYED
    assert reads(listing, "not-written-yet") == ((None, None), (None, None))
    # Without s3:ListBucket S3 answers 403 for a record not written yet, and the store cannot
    # tell absent from refused: the caller sees botocore's 403, on either path.
    refused = role_environment(local_cloud, OBJECTS)
    ours, theirs = reads(refused, "not-written-yet")
    assert ours == theirs
    assert ours[:2] == (403, "AccessDenied")


def test_a_wrong_secret_is_refused_with_botocores_error(
    s3: Any, local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**role_environment(local_cloud, OBJECTS, LIST)}
    env["AWS_SECRET_ACCESS_KEY"] = "wrong" + env["AWS_SECRET_ACCESS_KEY"][5:]
    light, plain = clients_for(env, monkeypatch)
    errors = []
    for client in (light.s3, plain):
        with pytest.raises(ClientError) as raised:
            client.put_object(Bucket=BUCKET, Key=KEY, Body=BODY, ContentType="application/x-yaml")
        errors.append(
            (
                raised.value.response["Error"]["Code"],
                raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
            )
        )
    assert errors[0] == errors[1]
    assert errors[0][1] == 403
    assert "Versions" not in s3.list_object_versions(Bucket=BUCKET)


def test_the_stacks_outputs_and_a_missing_stacks_error_are_botocores(
    s3: Any, local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = {"ConfigBucketName": BUCKET, "ConfigObjectKey": KEY, "AppConfigEnvironmentName": "production"}
    template = {
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {
            name: {
                "Value": value,
                "Description": f"the {name}",
                **({"Export": {"Name": "k"}} if name == "ConfigObjectKey" else {}),
            }
            for name, value in outputs.items()
        },
    }
    cloudformation = local_cloud.client("cloudformation")
    cloudformation.create_stack(StackName="light-stack", TemplateBody=json.dumps(template))
    light, _ = clients_for(dict(os.environ), monkeypatch)
    ours = light.cloudformation.describe_stacks(StackName="light-stack")["Stacks"]
    theirs = cloudformation.describe_stacks(StackName="light-stack")["Stacks"]
    assert [(s["StackName"], s["Outputs"]) for s in ours] == [(s["StackName"], s["Outputs"]) for s in theirs]
    assert from_stack(light.cloudformation, "light-stack") == from_stack(cloudformation, "light-stack")
    messages = []
    for client in (light.cloudformation, cloudformation):
        with pytest.raises(TargetError) as raised:
            from_stack(client, "no-such-stack")
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "no-such-stack" in messages[0]


@pytest.mark.parametrize(
    "where", [["--bucket", BUCKET, "--key", KEY], ["--stack", "cold-stack"]], ids=["bucket", "stack"]
)
def test_push_imports_no_botocore(s3: Any, local_cloud: LocalCloud, tmp_path: Path, where: list[str]) -> None:
    """The light path's point: the upload, and the stack lookup, without botocore in the process."""
    outputs = {"ConfigBucketName": BUCKET, "ConfigObjectKey": KEY}
    template = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                "Outputs": {name: {"Value": value} for name, value in outputs.items()}}  # fmt: skip
    local_cloud.client("cloudformation").create_stack(
        StackName="cold-stack", TemplateBody=json.dumps(template)
    )
    file = tmp_path / "feature-file.yml"
    file.write_bytes(BODY)
    script = (
        "import sys\n"
        "from rollout.cli import main\n"
        f"code = main({[*where, 'push', str(file)]!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3')))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    uploaded, imported = result.stdout.splitlines()
    assert imported == "[]"
    version = uploaded.rsplit(" ", 1)[-1]
    assert s3.get_object(Bucket=BUCKET, Key=KEY, VersionId=version)["Body"].read() == BODY
