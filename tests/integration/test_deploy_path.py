"""The deploy function's outcomes through real boto3 clients, against the local cloud: moto's S3
(a versioned bucket) and the local AppConfig service (validators run as Lambda runs them).

Every outcome of the deploy path: deployed, superseded, duplicate (repeated and concurrent
deliveries), conflict (an older version of the same profile is stopped; another profile's
deployment makes the upload retryable), rejected by the validator, and transient errors.
"""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from deployer.aws import AppConfigDeployments, S3ObjectVersions
from deployer.errors import RetryableError
from deployer.outcomes import Outcome, Result
from deployer.rollout import Rollout, Target
from deployer.uploads import Upload, items_from_event
from rollout_status.layout import ENVIRONMENT_ID_PREFIX, PROFILE_ID_PREFIX, variable

from localcloud.appconfig import LocalAppConfig, ManualClock
from localcloud.lambda_runtime.functions import TemplateFunctions
from localcloud.testing import LocalCloud, appconfig_role, zero_time_strategy
from tests.handlers import init

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_appconfig.type_defs import DeploymentTypeDef
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "tests" / "integration" / "appconfig_service" / "functions" / "template.yaml"
VALIDATOR = "arn:aws:lambda:us-east-1:123456789012:function:RefuseBadFunction"
BUCKET = "appconfig-123456789012-local"
KEY = "feature-file.yml"
ROLE = "arn:aws:iam::123456789012:role/retrieval"
# No SDK retries in the decision tests: a fault injected once is seen once.
ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def local_appconfig(
    local_appconfig_factory: Callable[..., LocalAppConfig[ManualClock]],
) -> Iterator[LocalAppConfig[ManualClock]]:
    """The validator is a small real function that refuses content containing "bad"."""
    functions = TemplateFunctions(FUNCTIONS)
    yield local_appconfig_factory(functions=functions, clock=ManualClock())
    functions.close()


@dataclass
class Setup:
    cloud: LocalCloud
    s3: S3Client
    appconfig: AppConfigClient
    app_id: str
    env_id: str
    profile_id: str
    other_profile_id: str
    zero: str
    slow: str

    def rollout(self, strategy: str | None = None, config: Config = ONE_ATTEMPT) -> Rollout:
        return Rollout(
            Target(bucket=BUCKET, key=KEY, profile_id=self.profile_id),
            S3ObjectVersions(self.cloud.client("s3", config=config)),
            AppConfigDeployments(
                self.cloud.client("appconfig", config=config),
                application_id=self.app_id,
                environment_id=self.env_id,
                profile_id=self.profile_id,
                strategy_id=strategy or self.zero,
            ),
            sleep=self._sleep,
        )

    def _sleep(self, seconds: float) -> None:
        self.cloud.clock.advance(seconds)  # the deploy path waits on service time, never on the wall clock

    def put(self, body: str) -> str:
        return str(
            self.s3.put_object(Bucket=BUCKET, Key=KEY, Body=body.encode(), ContentType="application/x-yaml")[
                "VersionId"
            ]
        )

    def decide(self, version: str, strategy: str | None = None) -> Result:
        (upload,) = items_from_event(s3_event(version))
        assert isinstance(upload, Upload)
        return self.rollout(strategy).decide(upload)

    def deployments(self) -> list[DeploymentTypeDef]:
        """Newest first, each with its profile (GetDeployment)."""
        items = self.appconfig.list_deployments(ApplicationId=self.app_id, EnvironmentId=self.env_id)["Items"]
        return [
            self.appconfig.get_deployment(
                ApplicationId=self.app_id, EnvironmentId=self.env_id, DeploymentNumber=i["DeploymentNumber"]
            )
            for i in items
        ]

    def served(self) -> bytes:
        data = self.cloud.client("appconfigdata")
        token = data.start_configuration_session(
            ApplicationIdentifier=self.app_id,
            EnvironmentIdentifier=self.env_id,
            ConfigurationProfileIdentifier=self.profile_id,
        )["InitialConfigurationToken"]
        body: bytes = data.get_latest_configuration(ConfigurationToken=token)["Configuration"].read()
        return body


def s3_event(version: str, key: str = KEY) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads((ROOT / "events" / "s3-put-versioned.json").read_text()))
    record = event["Records"][0]
    record["eventTime"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    record["s3"]["bucket"]["name"] = BUCKET
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{BUCKET}"
    record["s3"]["object"]["key"] = key
    record["s3"]["object"]["versionId"] = version
    return event


@pytest.fixture
def setup(local_cloud: LocalCloud) -> Setup:
    s3 = local_cloud.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    appconfig_role(
        local_cloud.client("iam"), ROLE.rsplit("/", 1)[1], bucket=BUCKET
    )  # AppConfig reads with it
    ac = local_cloud.client("appconfig")
    app = ac.create_application(Name="feature-flags")
    env = ac.create_environment(ApplicationId=app["Id"], Name="production")
    profile = ac.create_configuration_profile(
        ApplicationId=app["Id"],
        Name=KEY,
        LocationUri=f"s3://{BUCKET}/{KEY}",
        RetrievalRoleArn=ROLE,
        Validators=[{"Type": "LAMBDA", "Content": VALIDATOR}],
    )
    other = ac.create_configuration_profile(
        ApplicationId=app["Id"],
        Name="other.yml",
        LocationUri=f"s3://{BUCKET}/other.yml",
        RetrievalRoleArn=ROLE,
    )
    zero = zero_time_strategy(ac)
    slow = ac.create_deployment_strategy(
        Name="linear-50-per-minute",
        DeploymentDurationInMinutes=2,
        GrowthFactor=50,
        FinalBakeTimeInMinutes=3,
        ReplicateTo="NONE",
    )
    return Setup(local_cloud, s3, ac, app["Id"], env["Id"], profile["Id"], other["Id"], zero, slow["Id"])


def test_deployed(setup: Setup) -> None:
    version = setup.put("flag: on")
    result = setup.decide(version)
    assert (result.outcome, result.deployment_number) == (Outcome.DEPLOYED, 1)
    (deployment,) = setup.deployments()
    assert (deployment["ConfigurationVersion"], deployment["State"]) == (version, "COMPLETE")
    assert deployment["ConfigurationProfileId"] == setup.profile_id
    assert setup.served() == b"flag: on"


def test_superseded_by_a_newer_upload(setup: Setup) -> None:
    older = setup.put("flag: on")
    newer = setup.put("flag: off")
    result = setup.decide(older)  # the older upload's event arrives late
    assert result.outcome is Outcome.SUPERSEDED
    assert result.details == {"newerVersion": newer}
    assert setup.deployments() == []
    assert setup.decide(newer).outcome is Outcome.DEPLOYED


def test_superseded_when_the_object_was_deleted(setup: Setup) -> None:
    version = setup.put("flag: on")
    setup.s3.delete_object(Bucket=BUCKET, Key=KEY)
    assert setup.decide(version).outcome is Outcome.SUPERSEDED


def test_duplicate_delivery(setup: Setup) -> None:
    version = setup.put("flag: on")
    first = setup.decide(version)
    again = setup.decide(version)
    assert (first.outcome, again.outcome) == (Outcome.DEPLOYED, Outcome.DUPLICATE)
    assert again.deployment_number == first.deployment_number
    assert len(setup.deployments()) == 1


@pytest.mark.parametrize("strategy", ["zero", "slow"])
def test_concurrent_duplicate_deliveries(setup: Setup, strategy: str) -> None:
    """Two deliveries of one upload at once: one deployment stays, whether the first had already
    completed (zero-time strategy) or was still validating or deploying (slow strategy)."""
    version = setup.put("flag: on")
    strategy_id = getattr(setup, strategy)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: setup.decide(version, strategy_id), range(2)))
    assert sorted(r.outcome.value for r in results) == ["deployed", "duplicate"]
    live = [d for d in setup.deployments() if d["State"] not in ("ROLLED_BACK", "REVERTED")]
    assert [d["ConfigurationVersion"] for d in live] == [version]
    setup.cloud.clock.advance(minutes=5)
    assert setup.served() == b"flag: on"


def test_newer_version_stops_an_older_deployment_in_progress(setup: Setup) -> None:
    older = setup.put("flag: on")
    assert setup.decide(older, setup.slow).outcome is Outcome.DEPLOYED
    newer = setup.put("flag: off")
    result = setup.decide(newer, setup.slow)
    assert (result.outcome, result.deployment_number) == (Outcome.DEPLOYED, 2)
    second, first = setup.deployments()
    assert (first["ConfigurationVersion"], first["State"]) == (older, "ROLLED_BACK")
    assert (second["ConfigurationVersion"], second["State"]) == (newer, "DEPLOYING")


def test_newer_version_stops_an_older_deployment_while_it_bakes(setup: Setup) -> None:
    older = setup.put("flag: on")
    setup.decide(older, setup.slow)
    setup.cloud.clock.advance(minutes=2)  # rolled out, now baking
    assert setup.deployments()[0]["State"] == "BAKING"
    newer = setup.put("flag: off")
    assert setup.decide(newer, setup.slow).outcome is Outcome.DEPLOYED
    second, first = setup.deployments()
    assert (first["State"], second["State"]) == ("ROLLED_BACK", "DEPLOYING")
    setup.cloud.clock.advance(minutes=5)
    assert setup.served() == b"flag: off"


def test_another_profiles_deployment_makes_the_upload_wait_for_it(setup: Setup) -> None:
    setup.s3.put_object(Bucket=BUCKET, Key="other.yml", Body=b"x: 1")
    other_version = setup.s3.list_object_versions(Bucket=BUCKET, Prefix="other.yml")["Versions"][0][
        "VersionId"
    ]
    setup.appconfig.start_deployment(
        ApplicationId=setup.app_id,
        EnvironmentId=setup.env_id,
        DeploymentStrategyId=setup.slow,
        ConfigurationProfileId=setup.other_profile_id,
        ConfigurationVersion=other_version,
    )
    version = setup.put("flag: on")
    result = setup.decide(version)
    # Waiting, not failing: held on the queue for about what that deployment has left.
    assert result.outcome is Outcome.WAITING
    assert int(result.details["holdSeconds"]) >= 60
    (deployment,) = setup.deployments()
    assert deployment["ConfigurationProfileId"] == setup.other_profile_id
    assert deployment["State"] == "DEPLOYING"  # not ours to stop


def test_rejected_by_the_validator(setup: Setup) -> None:
    version = setup.put("flag: bad")
    result = setup.decide(version)
    assert result.outcome is Outcome.REJECTED
    assert "forbidden word 'bad'" in result.reason
    assert setup.deployments() == []


@dataclass
class Context:
    function_name: str = "DeployFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:DeployFunction"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/DeployFunction"
    log_stream_name: str = "local"


@pytest.fixture
def deploy_handler(setup: Setup) -> Callable[[str], dict[str, Any]]:
    """The real handler, configured as the template configures it, with clients built from the
    environment (AWS_ENDPOINT_URL_* point at the local cloud)."""
    handler = init(
        "deployer.handler",
        {
            "CONFIG_BUCKET": BUCKET,
            "CONFIGURATIONS": KEY,
            "ENVIRONMENTS": "production",
            "APPCONFIG_APPLICATION_ID": setup.app_id,
            variable(ENVIRONMENT_ID_PREFIX, "production"): setup.env_id,
            variable(PROFILE_ID_PREFIX, KEY): setup.profile_id,
            "APPCONFIG_DEPLOYMENT_STRATEGY_ID": setup.zero,
            # Only for a request from the queue, which these S3 events are not.
            "DEPLOY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/deploy.fifo",
            "DEPLOY_QUEUE_MAX_RECEIVES": "10",
            "POWERTOOLS_METRICS_NAMESPACE": "ConfigRollout",
        },
    )
    return lambda version: handler.lambda_handler(s3_event(version), Context())


def test_handler_reports_the_outcome(setup: Setup, deploy_handler: Callable[[str], dict[str, Any]]) -> None:
    version = setup.put("flag: on")
    (result,) = deploy_handler(version)["results"]
    assert (result["outcome"], result["versionId"], result["deploymentNumber"]) == ("deployed", version, 1)
    # The version says so too, on its tags.
    tags = setup.s3.get_object_tagging(Bucket=BUCKET, Key=KEY, VersionId=version)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"rollout-status": "deploying", "rollout-deployment": "1"}


def test_throttling_that_outlasts_sdk_retries_is_raised_for_lambda_to_retry(
    setup: Setup, deploy_handler: Callable[[str], dict[str, Any]]
) -> None:
    version = setup.put("flag: on")
    # Until cleared: the handler's SDK retries (max_attempts=3 retries) all meet it.
    setup.cloud.appconfig.faults.throttle("StartDeployment", count=None)
    with pytest.raises(RetryableError, match="ThrottlingException"):
        deploy_handler(version)
    setup.cloud.appconfig.faults.clear()
    assert setup.deployments() == []
    (result,) = deploy_handler(version)["results"]  # Lambda's retry
    assert result["outcome"] == "deployed"


def test_server_errors_are_raised_for_lambda_to_retry(
    setup: Setup, deploy_handler: Callable[[str], dict[str, Any]]
) -> None:
    version = setup.put("flag: on")
    setup.cloud.appconfig.faults.fail_next("ListDeployments", error="InternalServerException", count=None)
    with pytest.raises(RetryableError, match="InternalServerException"):
        deploy_handler(version)
    setup.cloud.appconfig.faults.clear()
    assert setup.deployments() == []


def test_sdk_retries_absorb_one_throttle(
    setup: Setup, deploy_handler: Callable[[str], dict[str, Any]]
) -> None:
    version = setup.put("flag: on")
    setup.cloud.appconfig.faults.throttle("StartDeployment", count=1)
    (result,) = deploy_handler(version)["results"]
    assert result["outcome"] == "deployed"
