"""The fidelity suite's world: a versioned bucket, an application, an environment and an S3
profile, on the local cloud (moto + the local AppConfig service, clock under the test's control)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from localcloud.appconfig import LocalAppConfig, ManualClock
from localcloud.lambda_runtime.functions import TemplateFunctions
from localcloud.testing import LocalCloud, appconfig_role, zero_time_strategy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from botocore.exceptions import ClientError
    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_appconfig.type_defs import (
        DeploymentTypeDef,
        HostedConfigurationVersionTypeDef,
        ValidatorTypeDef,
    )
    from mypy_boto3_appconfigdata import AppConfigDataClient
    from mypy_boto3_appconfigdata.type_defs import GetLatestConfigurationResponseTypeDef
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_s3 import S3Client

FUNCTIONS = Path(__file__).parent / "functions" / "template.yaml"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/appconfig-s3-retrieval"
BUCKET = "config-bucket"
KEY = "feature-file.yml"


def lambda_arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


@pytest.fixture
def event_log(tmp_path: Path) -> Path:
    return tmp_path / "validator-events.jsonl"


@pytest.fixture
def functions(event_log: Path) -> Iterator[TemplateFunctions]:
    runner = TemplateFunctions(FUNCTIONS, environment={"RefuseBadFunction": {"EVENT_LOG": str(event_log)}})
    yield runner
    runner.close()


@pytest.fixture
def local_appconfig(
    local_appconfig_factory: Callable[..., LocalAppConfig[ManualClock]], functions: TemplateFunctions
) -> LocalAppConfig[ManualClock]:
    """Overrides the plugin's: LAMBDA validators run this suite's small functions."""
    return local_appconfig_factory(functions=functions, clock=ManualClock())


@dataclass
class World:
    cloud: LocalCloud
    appconfig: AppConfigClient
    data: AppConfigDataClient
    s3: S3Client
    cloudwatch: CloudWatchClient
    app_id: str
    env_id: str
    profile_id: str
    zero_strategy_id: str

    def put(self, body: bytes | str, content_type: str = "application/x-yaml", key: str = KEY) -> str:
        data = body.encode() if isinstance(body, str) else body
        response = self.s3.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType=content_type)
        return str(response["VersionId"])

    def start(self, version: str, strategy: str | None = None, **kwargs: Any) -> DeploymentTypeDef:
        params: dict[str, Any] = {
            "ApplicationId": self.app_id,
            "EnvironmentId": self.env_id,
            "DeploymentStrategyId": strategy or self.zero_strategy_id,
            "ConfigurationProfileId": self.profile_id,
            "ConfigurationVersion": version,
            **kwargs,
        }
        return self.appconfig.start_deployment(**params)

    def deployment(self, number: int, env_id: str | None = None) -> DeploymentTypeDef:
        return self.appconfig.get_deployment(
            ApplicationId=self.app_id, EnvironmentId=env_id or self.env_id, DeploymentNumber=number
        )

    def profile(self, validators: list[ValidatorTypeDef] | None = None, name: str = "validated") -> str:
        profile = self.appconfig.create_configuration_profile(
            ApplicationId=self.app_id,
            Name=name,
            LocationUri=f"s3://{BUCKET}/{KEY}",
            RetrievalRoleArn=ROLE,
            Validators=validators or [],
        )
        return str(profile["Id"])

    def hosted_version(
        self, profile_id: str, content: bytes, content_type: str = "application/json"
    ) -> HostedConfigurationVersionTypeDef:
        return self.appconfig.create_hosted_configuration_version(
            ApplicationId=self.app_id,
            ConfigurationProfileId=profile_id,
            Content=content,
            ContentType=content_type,
        )

    def watched_environment(self, name: str = "watched") -> str:
        """An environment whose monitor is the moto alarm ``errors`` (OK until a test sets it); its ID."""
        self.cloudwatch.put_metric_alarm(
            AlarmName="errors",
            MetricName="Errors",
            Namespace="App",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        arn = self.cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["AlarmArn"]
        env = self.appconfig.create_environment(
            ApplicationId=self.app_id, Name=name, Monitors=[{"AlarmArn": arn, "AlarmRoleArn": ROLE}]
        )
        return str(env["Id"])

    def session(self, profile: str | None = None, **kwargs: Any) -> str:
        token: str = self.data.start_configuration_session(
            ApplicationIdentifier=self.app_id,
            EnvironmentIdentifier=self.env_id,
            ConfigurationProfileIdentifier=profile or self.profile_id,
            **kwargs,
        )["InitialConfigurationToken"]
        return token

    def poll(self, token: str) -> tuple[bytes, str, GetLatestConfigurationResponseTypeDef]:
        """(body, next token, whole response)."""
        response = self.data.get_latest_configuration(ConfigurationToken=token)
        return response["Configuration"].read(), response["NextPollConfigurationToken"], response


@pytest.fixture
def world(local_cloud: LocalCloud) -> World:
    appconfig = local_cloud.client("appconfig")
    s3 = local_cloud.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    # AppConfig assumes it to read the bucket and the monitors' alarms (the local cloud enforces IAM).
    appconfig_role(local_cloud.client("iam"), ROLE.rsplit("/", 1)[1], bucket=BUCKET, alarms=True)
    app = appconfig.create_application(Name="feature-flags")
    env = appconfig.create_environment(ApplicationId=app["Id"], Name="production")
    profile = appconfig.create_configuration_profile(
        ApplicationId=app["Id"], Name=KEY, LocationUri=f"s3://{BUCKET}/{KEY}", RetrievalRoleArn=ROLE
    )
    zero = zero_time_strategy(appconfig)
    return World(
        cloud=local_cloud,
        appconfig=appconfig,
        data=local_cloud.client("appconfigdata"),
        s3=s3,
        cloudwatch=local_cloud.client("cloudwatch"),
        app_id=app["Id"],
        env_id=env["Id"],
        profile_id=profile["Id"],
        zero_strategy_id=zero,
    )


def modelled(error: ClientError) -> dict[str, Any]:
    """The error's whole response: botocore puts the error shape's members (Reason, Details,
    ResourceName ...) beside ``Error``; the stubs type only the generic part."""
    return cast("dict[str, Any]", error.response)
