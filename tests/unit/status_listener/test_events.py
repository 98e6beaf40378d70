"""The status function's reading of AppConfig's deployment events and Lambda's failure records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rollout_status.model import EnvironmentStatus, Status
from status_listener import deployments, failures
from status_listener.settings import Settings

EVENTS = Path(__file__).resolve().parents[3] / "events"
SETTINGS = Settings("config-bucket", "feature-file.yml", "app1234", "env1234", "production", "prof123")


def appconfig_event(
    number: Any = 4, profile: str = "prof123", environment: str = "env1234"
) -> dict[str, Any]:
    """The shape of AWS's example on the extension's page."""
    return {
        "source": "aws.appconfig",
        "detail-type": "On Deployment Complete",
        "detail": {
            "InvocationId": "5tfjcig",
            "Parameters": {},
            "Type": "OnDeploymentComplete",
            "Application": {"Id": "app1234", "Name": "feature-flags"},
            "Environment": {"Id": environment, "Name": "production"},
            "ConfigurationProfile": {"Id": profile, "Name": "feature-file.yml"},
            "DeploymentNumber": number,
            "ConfigurationVersion": "v1",
        },
    }


def deployment(state: str, *log: tuple[str, str, str], number: int = 4) -> dict[str, Any]:
    return {
        "ConfigurationProfileId": "prof123",
        "DeploymentNumber": number,
        "ConfigurationVersion": "v1",
        "State": state,
        "PercentageComplete": 50.0,
        # AppConfig's EventLog is newest first.
        "EventLog": [{"EventType": t, "TriggeredBy": by, "Description": d} for t, by, d in reversed(log)],
    }


def known(number: int) -> EnvironmentStatus:
    return EnvironmentStatus(Status.DEPLOYING, number, "started", "2026-11-23T09:00:00Z")


def test_an_event_about_our_deployment_names_it() -> None:
    assert deployments.deployment_of(appconfig_event(), SETTINGS) == deployments.DeploymentRef(
        "app1234", "env1234", 4
    )


@pytest.mark.parametrize(
    "event",
    [
        appconfig_event(profile="another-profile"),
        appconfig_event(environment="another-env"),
        appconfig_event(number="four"),
        {"source": "aws.s3", "detail": {}},
        {"source": "aws.appconfig", "detail": "not an object"},
    ],
)
def test_events_about_anything_else_name_nothing(event: dict[str, Any]) -> None:
    assert deployments.deployment_of(event, SETTINGS) is None


def test_complete_is_deployed() -> None:
    change = deployments.change_for(deployment("COMPLETE"), SETTINGS, known(4))
    assert change is not None
    assert (change.status, change.deployment_number, change.environment) == (Status.DEPLOYED, 4, "production")


@pytest.mark.parametrize(
    "description",
    [
        "Rollback initiated by CloudWatch Alarm: arn:aws:cloudwatch:us-east-1:1234:alarm:ConsumerErrors",
        "Rollback initiated by alarm ConsumerErrors",
    ],
)
def test_an_alarm_rollback_names_the_alarm(description: str) -> None:
    log = [("DEPLOYMENT_STARTED", "USER", "started"), ("ROLLBACK_STARTED", "CLOUDWATCH_ALARM", description)]
    change = deployments.change_for(deployment("ROLLED_BACK", *log), SETTINGS, known(4))
    assert change is not None
    assert (change.status, change.alarm) == (Status.ROLLED_BACK, "ConsumerErrors")
    assert change.reason == "deployment 4 rolled back by alarm ConsumerErrors"


def test_a_users_stop_of_a_known_deployment_is_a_rollback() -> None:
    log = [("ROLLBACK_STARTED", "USER", "Deployment stopped by the user")]
    change = deployments.change_for(deployment("ROLLED_BACK", *log), SETTINGS, known(4))
    assert change is not None
    assert (change.status, change.alarm) == (Status.ROLLED_BACK, None)
    assert "stopped by a user" in change.reason


@pytest.mark.parametrize("current", [None, known(3)])
def test_a_stop_of_a_deployment_the_record_does_not_know_is_the_deploy_functions_duplicate(
    current: EnvironmentStatus | None,
) -> None:
    log = [("ROLLBACK_STARTED", "USER", "Deployment stopped by the user")]
    assert deployments.change_for(deployment("ROLLED_BACK", *log), SETTINGS, current) is None


def test_a_deployment_still_rolling_out_is_deploying_and_rolling_back_waits_for_its_end() -> None:
    change = deployments.change_for(deployment("BAKING"), SETTINGS, None)
    assert change is not None
    assert (change.status, change.reason) == (Status.DEPLOYING, "deployment 4 baking, 50% of targets")
    assert deployments.change_for(deployment("ROLLING_BACK"), SETTINGS, None) is None


def test_another_configurations_deployment_says_nothing() -> None:
    other = {**deployment("COMPLETE"), "ConfigurationProfileId": "someone-else"}
    assert deployments.change_for(other, SETTINGS, None) is None


def failure(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": "lambda",
        "detail-type": failures.DETAIL_TYPE,
        "detail": {
            "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
            "requestPayload": payload,
            "responsePayload": {"errorType": "RetryableError", "errorMessage": "InternalServerException"},
        },
    }


def test_a_failed_eventbridge_upload_is_failed_with_the_error() -> None:
    payload = json.loads((EVENTS / "eventbridge-object-created.json").read_text())
    (upload,) = failures.failed_uploads(failure(payload))
    assert (upload.bucket, upload.key) == (
        payload["detail"]["bucket"]["name"],
        payload["detail"]["object"]["key"],
    )
    assert upload.version_id == payload["detail"]["object"]["version-id"]
    change = failures.change_for(failure(payload), "production")
    assert change.status is Status.FAILED
    assert change.deployment_number is None
    assert change.reason == (
        "Lambda gave up after 3 attempts (RetriesExhausted): RetryableError: InternalServerException; "
        "the event waits on the failure queue for a replay"
    )


def test_a_failed_s3_notification_record_is_read_with_its_decoded_key_and_uploader() -> None:
    payload = json.loads((EVENTS / "s3-put-url-encoded-key.json").read_text())
    (upload,) = failures.failed_uploads(failure(payload))
    record = payload["Records"][0]
    assert upload.key == record["s3"]["object"]["key"].replace("+", " ")
    assert upload.uploader.principal == record["userIdentity"]["principalId"]


@pytest.mark.parametrize(
    "event",
    [
        {"source": "lambda", "detail-type": "Lambda Function Invocation Result - Success", "detail": {}},
        failure({"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}}]}),  # no version
        appconfig_event(),
    ],
)
def test_anything_else_is_no_failed_upload(event: dict[str, Any]) -> None:
    assert failures.failed_uploads(event) == []
