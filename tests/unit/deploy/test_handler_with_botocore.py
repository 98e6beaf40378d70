"""The handler and its AWS gateways through real botocore clients (botocore's Stubber checks every
request against the service model). The same paths run against the local cloud in
tests/integration/test_deploy_path.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError
from deployer.aws import AppConfigDeployments, S3ObjectVersions
from deployer.errors import RetryableError
from deployer.rollout import Rollout, Target

from tests.handlers import init

if TYPE_CHECKING:
    import io

    from botocore.stub import Stubber
    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_s3 import S3Client

    from tests.unit.deploy.conftest import ReportedStatuses

EVENTS = Path(__file__).resolve().parents[3] / "events"
BUCKET, KEY, VERSION = "config-bucket", "feature-file.yml", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
IDS = {"ApplicationId": "app1234", "EnvironmentId": "env1234"}
# The variables the template sets; each test puts its own stubbed rollout in place.
handler = init(
    "deployer.handler",
    {
        "CONFIG_BUCKET": BUCKET,
        "CONFIG_KEY": KEY,
        "APPCONFIG_APPLICATION_ID": "app1234",
        "APPCONFIG_ENVIRONMENT_ID": "env1234",
        "APPCONFIG_ENVIRONMENT_NAME": "production",
        "APPCONFIG_PROFILE_ID": "prof123",
        "APPCONFIG_DEPLOYMENT_STRATEGY_ID": "strat12",
    },
)


@pytest.fixture
def wired(
    clients: tuple[Stubber, Stubber, Rollout], monkeypatch: pytest.MonkeyPatch, statuses: ReportedStatuses
) -> tuple[Stubber, Stubber]:
    """The handler with the stubbed clients in place of the ones it builds from the environment."""
    s3_stub, appconfig_stub, rollout = clients
    monkeypatch.setattr(handler, "rollout", lambda: rollout)
    return s3_stub, appconfig_stub


def s3_event(key: str = KEY, version: str | None = VERSION) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": key, "size": 120, "eTag": "e", "sequencer": "0055AED6DCD90281E5"}
    if version is not None:
        obj["versionId"] = version
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventTime": "2026-11-23T09:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"}, "object": obj},
            }
        ]
    }


def deployment(number: int, version: str, state: str, **extra: Any) -> dict[str, Any]:
    return {"DeploymentNumber": number, "ConfigurationVersion": version, "State": state, **extra}


class Context:
    function_name = "DeployFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:DeployFunction"
    aws_request_id = "req-1"


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_versioned_put_starts_a_deployment_of_that_exact_version(
    wired: tuple[Stubber, Stubber],
    statuses: ReportedStatuses,
    logs: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s3_stub, appconfig_stub = wired
    s3_stub.add_response("head_object", {"VersionId": VERSION}, {"Bucket": BUCKET, "Key": KEY})
    appconfig_stub.add_response("list_deployments", {"Items": []}, IDS)
    appconfig_stub.add_response(
        "start_deployment",
        deployment(4, VERSION, "DEPLOYING"),
        {
            **IDS,
            "DeploymentStrategyId": "strat12",
            "ConfigurationProfileId": "prof123",
            "ConfigurationVersion": VERSION,
            "Description": f"S3 upload {VERSION}",
        },
    )
    s3_stub.add_response("head_object", {"VersionId": VERSION}, {"Bucket": BUCKET, "Key": KEY})
    # No earlier deployment of this version slipped in before ours.
    appconfig_stub.add_response("list_deployments", {"Items": [deployment(4, VERSION, "DEPLOYING")]}, IDS)

    result = handler.lambda_handler(s3_event(), Context())

    assert result["results"][0]["outcome"] == "deployed"
    assert result["results"][0]["deploymentNumber"] == 4
    assert statuses.reported == [(VERSION, "deployed")]
    lines = log_lines(logs)
    outcome_line = next(line for line in lines if line.get("outcome") == "deployed")
    assert outcome_line["versionId"] == VERSION
    assert outcome_line["key"] == KEY
    assert outcome_line["bucket"] == BUCKET
    assert outcome_line["deploymentNumber"] == 4
    emf = json.loads(capsys.readouterr().out.splitlines()[-1])  # Metrics prints its EMF blob
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ConfigRollout"
    assert emf["UploadsDeployed"] in (1.0, [1.0])


def test_url_encoded_key_is_decoded_before_the_exact_match(
    clients: tuple[Stubber, Stubber, Rollout], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_stub, appconfig_stub, _ = clients
    event = json.loads((EVENTS / "s3-put-url-encoded-key.json").read_text())
    record = event["Records"][0]["s3"]
    decoded = "team a/feature-file.yml"  # arrives as "team+a/feature-file.yml"
    spaced = Rollout(
        Target(record["bucket"]["name"], decoded, "prof123"),
        S3ObjectVersions(cast("S3Client", s3_stub.client)),
        AppConfigDeployments(
            cast("AppConfigClient", appconfig_stub.client),
            application_id="app1234",
            environment_id="env1234",
            profile_id="prof123",
            strategy_id="strat12",
        ),
        sleep=lambda _: None,
    )
    monkeypatch.setattr(handler, "rollout", lambda: spaced)
    # HeadObject is asked for the decoded key; a newer version exists, so nothing is deployed.
    s3_stub.add_response(
        "head_object", {"VersionId": "newer"}, {"Bucket": record["bucket"]["name"], "Key": decoded}
    )
    (result,) = handler.lambda_handler(event, Context())["results"]
    assert (result["key"], result["outcome"]) == (decoded, "superseded")


def test_unversioned_put_is_a_clear_error_that_is_not_retried(
    wired: tuple[Stubber, Stubber], logs: io.StringIO
) -> None:
    result = handler.lambda_handler(s3_event(version=None), Context())  # no AWS call is made
    assert result["results"][0]["outcome"] == "unversioned"
    error = next(line for line in log_lines(logs) if line.get("level") == "ERROR")
    assert "versioning is not enabled" in error["message"]


def test_validator_refusal_is_rejected_with_appconfigs_reason(wired: tuple[Stubber, Stubber]) -> None:
    s3_stub, appconfig_stub = wired
    s3_stub.add_response("head_object", {"VersionId": VERSION})
    appconfig_stub.add_response("list_deployments", {"Items": []})
    appconfig_stub.add_client_error(
        "start_deployment",
        "BadRequestException",
        "Configuration failed validation",
        400,
        modeled_fields={
            "Reason": "InvalidConfiguration",
            "Details": {
                "InvalidConfiguration": [
                    {"Location": "flags.beta.default", "Reason": "line 3:12: not a boolean"}
                ]
            },
        },
    )
    result = handler.lambda_handler(s3_event(), Context())
    assert result["results"][0]["outcome"] == "rejected"
    assert "flags.beta.default: line 3:12: not a boolean" in result["results"][0]["reason"]


def test_a_configuration_over_appconfigs_size_limit_is_rejected_not_retried(
    wired: tuple[Stubber, Stubber],
) -> None:
    s3_stub, appconfig_stub = wired
    s3_stub.add_response("head_object", {"VersionId": VERSION})
    appconfig_stub.add_response("list_deployments", {"Items": []})
    appconfig_stub.add_client_error(
        "start_deployment",
        "PayloadTooLargeException",
        "Configurations stored as S3 objects can be a maximum of 1 MB in size",
        413,
    )
    result = handler.lambda_handler(s3_event(), Context())
    assert result["results"][0]["outcome"] == "rejected"
    assert "1 MB" in result["results"][0]["reason"]


@pytest.mark.parametrize(
    ("code", "status"), [("ThrottlingException", 429), ("InternalServerException", 500), ("SlowDown", 503)]
)
def test_throttling_and_server_errors_are_raised_for_lambda_to_retry(
    wired: tuple[Stubber, Stubber], code: str, status: int
) -> None:
    s3_stub, appconfig_stub = wired
    s3_stub.add_response("head_object", {"VersionId": VERSION})
    appconfig_stub.add_client_error("list_deployments", code, "try later", status)
    with pytest.raises(RetryableError, match=code):
        handler.lambda_handler(s3_event(), Context())


def test_conflict_with_an_older_version_stops_it_and_deploys_the_newest(
    clients: tuple[Stubber, Stubber, Rollout],
) -> None:
    s3_stub, appconfig_stub, rollout = clients
    started = datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)
    s3_stub.add_response("head_object", {"VersionId": VERSION})
    appconfig_stub.add_response(
        "list_deployments", {"Items": [deployment(3, "older", "BAKING", StartedAt=started)]}
    )
    appconfig_stub.add_client_error(
        "start_deployment", "ConflictException", "Deployment number 3 in progress", 409
    )
    appconfig_stub.add_response(
        "list_deployments", {"Items": [deployment(3, "older", "BAKING", StartedAt=started)]}
    )
    appconfig_stub.add_response(
        "get_deployment", deployment(3, "older", "BAKING", ConfigurationProfileId="prof123")
    )
    s3_stub.add_response("head_object", {"VersionId": VERSION})
    appconfig_stub.add_response(
        "stop_deployment",
        deployment(3, "older", "ROLLED_BACK"),
        {**IDS, "DeploymentNumber": 3, "AllowRevert": True},
    )
    appconfig_stub.add_response("start_deployment", deployment(4, VERSION, "DEPLOYING"))
    s3_stub.add_response("head_object", {"VersionId": VERSION})
    appconfig_stub.add_response("list_deployments", {"Items": [deployment(4, VERSION, "DEPLOYING")]})

    from deployer.uploads import Upload, items_from_event

    (upload,) = items_from_event(s3_event())
    assert isinstance(upload, Upload)
    result = rollout.decide(upload)
    assert (result.outcome.value, result.deployment_number) == ("deployed", 4)


def test_deleted_object_reads_as_no_newest_version(clients: tuple[Stubber, Stubber, Rollout]) -> None:
    s3_stub, _, _ = clients
    s3_stub.add_client_error("head_object", "404", "Not Found", 404)
    assert S3ObjectVersions(cast("S3Client", s3_stub.client)).newest_version(BUCKET, KEY) is None


def _versions(stub: Stubber) -> S3ObjectVersions:
    return S3ObjectVersions(cast("S3Client", stub.client))


def test_forbidden_head_of_a_deleted_key_reads_as_no_newest_version(
    clients: tuple[Stubber, Stubber, Rollout],
) -> None:
    """Without s3:ListBucket S3 answers a missing key with 403 (HeadObject, "Permissions"):
    listing exactly that key, which the policy allows, shows it is gone."""
    s3_stub, _, _ = clients
    s3_stub.add_client_error("head_object", "403", "Forbidden", 403)
    s3_stub.add_response(
        "list_objects_v2",
        {"KeyCount": 1, "Contents": [{"Key": f"{KEY}.bak"}]},
        {"Bucket": BUCKET, "Prefix": KEY, "MaxKeys": 1},
    )
    assert _versions(s3_stub).newest_version(BUCKET, KEY) is None


def test_forbidden_head_of_an_existing_key_is_raised(clients: tuple[Stubber, Stubber, Rollout]) -> None:
    s3_stub, _, _ = clients
    s3_stub.add_client_error("head_object", "403", "Forbidden", 403)
    s3_stub.add_response(
        "list_objects_v2",
        {"KeyCount": 1, "Contents": [{"Key": KEY}]},
        {"Bucket": BUCKET, "Prefix": KEY, "MaxKeys": 1},
    )
    with pytest.raises(ClientError) as raised:
        _versions(s3_stub).newest_version(BUCKET, KEY)
    assert raised.value.operation_name == "HeadObject"


def test_forbidden_head_and_forbidden_list_raise_the_head_error(
    clients: tuple[Stubber, Stubber, Rollout],
) -> None:
    s3_stub, _, _ = clients
    s3_stub.add_client_error("head_object", "403", "Forbidden", 403)
    s3_stub.add_client_error("list_objects_v2", "AccessDenied", "Access Denied", 403)
    with pytest.raises(ClientError) as raised:
        _versions(s3_stub).newest_version(BUCKET, KEY)
    assert raised.value.operation_name == "HeadObject"
