"""The local AppConfig service beside moto's server, call for call (goal: ratio <= 1.0, so the local
service is never the bottleneck of another benchmark).

* StartDeployment -> COMPLETE (zero-time strategy, S3 profile), beside the same work done by moto:
  the S3 GetObject of that version (which our StartDeployment also makes, to moto), then
  CreateHostedConfigurationVersion and GetHostedConfigurationVersion, moto's nearest pair of
  AppConfig calls (make a configuration version available, read it back). Both sides therefore
  include one moto S3 read; what differs is who answers the two AppConfig calls.
* GetLatestConfiguration p50 and p99 (a poll of an unchanged configuration, the common case),
  beside moto's GetConfigurationProfile.

Both servers run in this process on 127.0.0.1 and are called through real boto3 clients over
keep-alive HTTP, alternating, so machine noise falls on both alike.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import boto3

from bench.harness import Figure, alternating, median, percentile
from localcloud.appconfig import LocalAppConfig, ScaledClock
from localcloud.moto import MotoServer, fake_aws_environment
from localcloud.testing import zero_time_strategy

if TYPE_CHECKING:
    from collections.abc import Callable

ROUNDS = 300
DEPLOY_ROUNDS = 100
WARMUP = 20
ROLE = "arn:aws:iam::123456789012:role/retrieval"


def _timed(call: Callable[[], Any]) -> Callable[[], float]:
    def measure() -> float:
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000

    return measure


def run() -> list[Figure]:
    os.environ.update(fake_aws_environment())
    moto = MotoServer().start()
    service = LocalAppConfig(
        ScaledClock(), s3_endpoint=moto.endpoint, cloudwatch_endpoint=moto.endpoint
    ).start()
    try:
        return _figures(moto.endpoint, service.endpoint)
    finally:
        service.stop()
        moto.stop()


def _figures(moto_endpoint: str, local_endpoint: str) -> list[Figure]:
    region = "us-east-1"
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name=region)
    moto_ac = boto3.client("appconfig", endpoint_url=moto_endpoint, region_name=region)
    ours = boto3.client("appconfig", endpoint_url=local_endpoint, region_name=region)
    data = boto3.client("appconfigdata", endpoint_url=local_endpoint, region_name=region)

    s3.create_bucket(Bucket="bench-config")
    s3.put_bucket_versioning(Bucket="bench-config", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="bench-config", Key="f.yml", Body=b"flag: on\n")["VersionId"]
    app = ours.create_application(Name="bench")["Id"]
    env = ours.create_environment(ApplicationId=app, Name="bench")["Id"]
    profile = ours.create_configuration_profile(
        ApplicationId=app, Name="f.yml", LocationUri="s3://bench-config/f.yml", RetrievalRoleArn=ROLE
    )["Id"]
    zero = zero_time_strategy(ours)
    moto_app = moto_ac.create_application(Name="bench")["Id"]
    moto_profile = moto_ac.create_configuration_profile(
        ApplicationId=moto_app, Name="p", LocationUri="hosted"
    )["Id"]

    def deploy_to_complete() -> None:
        number = ours.start_deployment(
            ApplicationId=app,
            EnvironmentId=env,
            DeploymentStrategyId=zero,
            ConfigurationProfileId=profile,
            ConfigurationVersion=version,
        )["DeploymentNumber"]
        state = ours.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=number)["State"]
        if state != "COMPLETE":
            raise RuntimeError(f"deployment {number} is {state}")

    def moto_version_round_trip() -> None:
        s3.get_object(Bucket="bench-config", Key="f.yml", VersionId=version)["Body"].read()
        created = moto_ac.create_hosted_configuration_version(
            ApplicationId=moto_app,
            ConfigurationProfileId=moto_profile,
            Content=b"flag: on\n",
            ContentType="application/x-yaml",
        )
        moto_ac.get_hosted_configuration_version(
            ApplicationId=moto_app,
            ConfigurationProfileId=moto_profile,
            VersionNumber=created["VersionNumber"],
        )

    session = data.start_configuration_session(
        ApplicationIdentifier=app, EnvironmentIdentifier=env, ConfigurationProfileIdentifier=profile
    )
    token = {"next": session["InitialConfigurationToken"]}
    deploy_to_complete()

    def poll() -> None:
        response = data.get_latest_configuration(ConfigurationToken=token["next"])
        token["next"] = response["NextPollConfigurationToken"]
        response["Configuration"].read()

    def moto_get_profile() -> None:
        moto_ac.get_configuration_profile(ApplicationId=moto_app, ConfigurationProfileId=moto_profile)

    alternating(
        WARMUP,
        _timed(deploy_to_complete),
        _timed(moto_version_round_trip),
        _timed(poll),
        _timed(moto_get_profile),
    )
    deploys, moto_versions = alternating(
        DEPLOY_ROUNDS, _timed(deploy_to_complete), _timed(moto_version_round_trip)
    )
    polls, moto_gets = alternating(ROUNDS, _timed(poll), _timed(moto_get_profile))
    return [
        Figure(
            f"local AppConfig StartDeployment -> COMPLETE, zero-time strategy (median of {DEPLOY_ROUNDS})",
            median(deploys),
            "ms",
            "moto S3 GetObject + CreateHostedConfigurationVersion + GetHostedConfigurationVersion",
            median(moto_versions),
            goal="ratio <= 1.0",
        ),
        Figure(
            f"local AppConfigData GetLatestConfiguration p50 (of {ROUNDS})",
            percentile(polls, 50),
            "ms",
            "moto GetConfigurationProfile p50",
            percentile(moto_gets, 50),
            goal="ratio <= 1.0",
        ),
        Figure(
            f"local AppConfigData GetLatestConfiguration p99 (of {ROUNDS})",
            percentile(polls, 99),
            "ms",
            "moto GetConfigurationProfile p99",
            percentile(moto_gets, 99),
            goal="ratio <= 1.0",
        ),
    ]
