"""pytest plugin: the local cloud for tests (``pytest_plugins = ["localcloud.testing"]``).

Fixtures, from the outside in:

``local_cloud`` (function scope) -> ``LocalCloud``
    Everything a test needs: ``moto`` S3/CloudWatch/SQS/... endpoint, a fresh ``appconfig``
    service (``LocalAppConfig``), ``env`` (the ``AWS_ENDPOINT_URL_*`` variables, already set in
    ``os.environ`` for the test by monkeypatch, so code under test that calls
    ``boto3.client("s3")`` reaches the local cloud without any test hook), and
    ``client(service, **kwargs)``: a boto3 client factory bound to the right endpoint.
    moto's state is reset before each test.
``local_appconfig`` (function scope) -> ``LocalAppConfig``
    The AppConfig + AppConfigData service on 127.0.0.1 (one port serves both), started with a
    ``ManualClock``: deployments, bakes and token lifetimes advance only when the test calls
    ``local_appconfig.clock.advance(...)``. Attributes: ``endpoint``, ``clock``, ``faults``
    (``fail_next``, ``throttle``, ``delay``, ``clear``), ``functions`` (the template's Lambda
    functions, run as Lambda would; see ``localcloud.lambda_runtime.functions``).
``local_appconfig_factory`` (function scope) -> ``(**kwargs) -> LocalAppConfig``
    Starts more services, or one with other settings, e.g. ``time_scale=600.0`` (a real
    clock sped up) or ``functions=TemplateFunctions(my_template)``; all stopped at teardown.
``moto_server`` (session scope) -> ``str``
    moto's ``ThreadedMotoServer`` on a free 127.0.0.1 port; the value is its endpoint URL.
``aws_environment`` (session scope)
    Fake credentials, region us-east-1, no AWS profile or config files: no test can reach AWS.

A closer conftest (or test module) may override ``local_appconfig`` to give LAMBDA validators
other functions; ``tests/integration/appconfig_service/conftest.py`` does. Outside pytest,
``endpoint_environment(moto=..., appconfig=...)`` gives the same variables for a subprocess,
and the service's HTTP controls (``/_localcloud/faults``, ``/_localcloud/clock/advance``) reach
it from any process (see ``localcloud.appconfig.server``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from localcloud.appconfig import CALLED_SERVICES, LocalAppConfig, ManualClock, ScaledClock
from localcloud.clients import Clients
from localcloud.lambda_runtime.functions import TemplateFunctions
from localcloud.moto import MotoServer, fake_aws_environment

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LocalCloud:
    moto: str
    """moto's endpoint URL (S3, CloudWatch, SQS, Lambda, IAM ... everything moto implements)."""
    appconfig: LocalAppConfig[ManualClock]
    env: dict[str, str]
    """``AWS_ENDPOINT_URL_*`` for every service, as set in ``os.environ`` during the test."""

    @property
    def clock(self) -> ManualClock:
        """The service's clock: deployments, bakes and token lifetimes move only with ``advance``."""
        return self.appconfig.clock

    @property
    def client(self) -> Clients:
        """``client(service, **kwargs)``: a boto3 client on this cloud, typed by service."""
        return Clients(moto=self.moto, appconfig=self.appconfig.endpoint)


def zero_time_strategy(appconfig: AppConfigClient, name: str = "zero") -> str:
    """A custom strategy that deploys to every target at once with no bake; returns its ID."""
    created = appconfig.create_deployment_strategy(
        Name=name,
        DeploymentDurationInMinutes=0,
        GrowthFactor=100,
        FinalBakeTimeInMinutes=0,
        ReplicateTo="NONE",
    )
    return str(created["Id"])


def versioned_bucket(s3: S3Client, name: str) -> S3Client:
    """Create a versioned bucket (what AppConfig needs of an S3 configuration); returns ``s3``."""
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return s3


def drain_queue(sqs: SQSClient, url: str) -> list[dict[str, Any]]:
    """Every message now on the queue, JSON-decoded, deleted as read."""
    import json

    out: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return out
        for message in messages:
            out.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def allow_eventbridge(sqs: Any, url: str, queue_arn: str, rule_arn: str | None = None) -> None:
    """Let EventBridge send to the queue (for one rule, or any): SQS takes a rule's events only
    if the queue's policy allows ``events.amazonaws.com``, and the local cloud checks it
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions)."""
    import json

    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
    }
    if rule_arn is not None:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": rule_arn}}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})


def appconfig_role(iam: IAMClient, name: str, *, bucket: str | None = None, alarms: bool = False) -> str:
    """A role AppConfig may assume, as AWS documents it; returns its ARN.

    The trust policy names ``appconfig.amazonaws.com`` only; ``bucket`` adds the permissions AWS
    lists for an S3 configuration source (every object of the bucket), ``alarms`` those of a
    monitor role (``cloudwatch:DescribeAlarms``). The local cloud enforces IAM, so a profile's
    RetrievalRoleArn or a monitor's AlarmRoleArn must name a role like this one."""
    import json

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "appconfig.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    statements: list[dict[str, Any]] = []
    if bucket:
        statements += [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
             "Resource": f"arn:aws:s3:::{bucket}/*"},
            {"Effect": "Allow", "Resource": f"arn:aws:s3:::{bucket}", "Action": [
                "s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket", "s3:ListBucketVersions"]},
            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        ]  # fmt: skip
    if alarms:
        statements.append({"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"})
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        iam.put_role_policy(RoleName=name, PolicyName="appconfig", PolicyDocument=json.dumps(document))
    return arn


def endpoint_environment(*, moto: str, appconfig: str) -> dict[str, str]:
    """``AWS_ENDPOINT_URL`` sends every service to moto; AppConfig's two to the local service."""
    return {
        "AWS_ENDPOINT_URL": moto,
        "AWS_ENDPOINT_URL_S3": moto,
        "AWS_ENDPOINT_URL_CLOUDWATCH": moto,
        "AWS_ENDPOINT_URL_APPCONFIG": appconfig,
        "AWS_ENDPOINT_URL_APPCONFIGDATA": appconfig,
    }


@pytest.fixture(scope="session")
def aws_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in fake_aws_environment().items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def moto_server(aws_environment: None) -> Iterator[str]:
    server = MotoServer()
    server.start()
    try:
        yield server.endpoint
    finally:
        server.stop()


@pytest.fixture
def local_appconfig_factory(moto_server: str) -> Iterator[Callable[..., LocalAppConfig[Any]]]:
    started: list[LocalAppConfig[Any]] = []

    def make(**kwargs: Any) -> LocalAppConfig[Any]:
        kwargs.setdefault("s3_endpoint", moto_server)
        kwargs.setdefault("cloudwatch_endpoint", moto_server)
        kwargs.setdefault("endpoints", dict.fromkeys(CALLED_SERVICES, moto_server))
        scale = kwargs.pop("time_scale", None)
        clock = kwargs.pop("clock", None) or (ManualClock() if scale is None else ScaledClock(scale))
        if "functions" not in kwargs:
            kwargs["functions"] = TemplateFunctions(ROOT / "template.yaml")
        service = LocalAppConfig(clock, **kwargs).start()
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()


@pytest.fixture
def local_appconfig(
    local_appconfig_factory: Callable[..., LocalAppConfig[Any]],
) -> LocalAppConfig[ManualClock]:
    return local_appconfig_factory(clock=ManualClock())


@pytest.fixture
def local_cloud(
    moto_server: str, local_appconfig: LocalAppConfig[ManualClock], monkeypatch: pytest.MonkeyPatch
) -> LocalCloud:
    MotoServer.reset(moto_server)
    env = endpoint_environment(moto=moto_server, appconfig=local_appconfig.endpoint)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert os.environ["AWS_ENDPOINT_URL_APPCONFIG"] == local_appconfig.endpoint
    return LocalCloud(moto=moto_server, appconfig=local_appconfig, env=env)
