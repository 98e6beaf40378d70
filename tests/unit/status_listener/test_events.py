"""The status function's reading of AppConfig's deployment events, and its settings."""

from __future__ import annotations

from typing import Any

import pytest
from function_settings import SettingsError
from rollout_status.layout import Configuration, Layout, Stage
from rollout_status.model import EnvironmentStatus, Status
from status_listener import deployments
from status_listener.settings import Settings

SETTINGS = Layout(
    bucket="config-bucket",
    application_id="app1234",
    configurations=(Configuration("feature-file.yml", "feature-file.yml", "prof123"),),
    stages=(Stage("production", "env1234", 0),),
)
PRODUCTION = deployments.StageEnvironment("production", "app1234", "env1234")


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


def unread() -> EnvironmentStatus | None:
    raise AssertionError("the record was read for an event that does not need it")


def test_complete_is_deployed_without_reading_the_record() -> None:
    # AppConfig's completion often comes before the deploy function has written the record.
    change = deployments.change_for(deployment("COMPLETE"), PRODUCTION, unread)
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
    change = deployments.change_for(deployment("ROLLED_BACK", *log), PRODUCTION, lambda: known(4))
    assert change is not None
    assert (change.status, change.alarm) == (Status.ROLLED_BACK, "ConsumerErrors")
    assert change.reason == "deployment 4 rolled back by alarm ConsumerErrors"


def test_a_users_stop_of_a_known_deployment_is_a_rollback() -> None:
    log = [("ROLLBACK_STARTED", "USER", "Deployment stopped by the user")]
    change = deployments.change_for(deployment("ROLLED_BACK", *log), PRODUCTION, lambda: known(4))
    assert change is not None
    assert (change.status, change.alarm) == (Status.ROLLED_BACK, None)
    assert "stopped by a user" in change.reason


@pytest.mark.parametrize("current", [None, known(3)])
def test_a_stop_of_a_deployment_the_record_does_not_know_is_the_deploy_functions_duplicate(
    current: EnvironmentStatus | None,
) -> None:
    log = [("ROLLBACK_STARTED", "USER", "Deployment stopped by the user")]
    assert deployments.change_for(deployment("ROLLED_BACK", *log), PRODUCTION, lambda: current) is None


def test_a_deployment_still_rolling_out_is_deploying_and_rolling_back_waits_for_its_end() -> None:
    change = deployments.change_for(deployment("BAKING"), PRODUCTION, unread)
    assert change is not None
    assert (change.status, change.reason) == (Status.DEPLOYING, "deployment 4 baking, 50% of targets")
    assert deployments.change_for(deployment("ROLLING_BACK"), PRODUCTION, unread) is None


def test_settings_refuse_an_approval_that_is_neither_auto_nor_manual() -> None:
    environ = {
        "CONFIG_BUCKET": "b",
        "APPCONFIG_APPLICATION_ID": "app1234",
        "CONFIGURATIONS": "feature-file.yml",
        "ENVIRONMENTS": "production",
        "APPCONFIG_PROFILE_ID_featurefileyml": "prof123",
        "APPCONFIG_ENVIRONMENT_ID_production": "env1234",
        "DEPLOY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/deploy.fifo",
    }
    assert (
        Settings.from_environment({**environ, "PROMOTION_APPROVAL": "manual"}).promotion_approval == "manual"
    )
    with pytest.raises(
        SettingsError, match=r"^PROMOTION_APPROVAL is 'sometimes': it must hold auto or manual"
    ):
        Settings.from_environment({**environ, "PROMOTION_APPROVAL": "sometimes"})
