"""Validators on StartDeployment and ValidateConfiguration.

https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-validators.html
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import pytest

from tests.integration.appconfig_service.conftest import World, lambda_arn, modelled

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["enabled"],
        "properties": {"enabled": {"type": "boolean"}, "limit": {"type": "integer", "maximum": 10}},
    }
)


def test_json_schema_refusal_carries_reason_and_details(world: World) -> None:
    """The validators page (JSON Schema 4.X) and the BadRequestException shape of the API reference:
    Reason InvalidConfiguration, Details.InvalidConfiguration[] with Constraint, Location, Reason, Type."""
    profile = world.profile([{"Type": "JSON_SCHEMA", "Content": SCHEMA}])
    version = world.put('{"limit": 11}', "application/json")
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as refused:
        world.start(version, ConfigurationProfileId=profile)
    response = modelled(refused.value)
    assert response["Reason"] == "InvalidConfiguration"
    problems = response["Details"]["InvalidConfiguration"]
    assert {(p["Constraint"], p["Location"]) for p in problems} == {("required", "$"), ("maximum", "$.limit")}
    assert all(p["Type"] == "JSON_SCHEMA" and p["Reason"] for p in problems)
    assert (
        world.appconfig.list_deployments(ApplicationId=world.app_id, EnvironmentId=world.env_id)["Items"]
        == []
    )


def test_json_schema_accepts_valid_content(world: World) -> None:
    profile = world.profile([{"Type": "JSON_SCHEMA", "Content": SCHEMA}])
    version = world.put('{"enabled": true, "limit": 3}', "application/json")
    assert world.start(version, ConfigurationProfileId=profile)["State"] == "DEPLOYING"


def test_json_schema_refuses_content_that_is_not_json(world: World) -> None:
    profile = world.profile([{"Type": "JSON_SCHEMA", "Content": SCHEMA}])
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as refused:
        world.start(world.put("enabled: true"), ConfigurationProfileId=profile)
    assert modelled(refused.value)["Reason"] == "InvalidConfiguration"


def test_lambda_validator_gets_the_documented_event(world: World, event_log: Path) -> None:
    """Validators page: the event carries applicationId, configurationProfileId, configurationVersion,
    base64 content and uri; a function that does not raise accepts the content."""
    profile = world.profile([{"Type": "LAMBDA", "Content": lambda_arn("RefuseBadFunction")}])
    version = world.put("flag: good")
    assert world.start(version, ConfigurationProfileId=profile)["State"] == "DEPLOYING"
    (event,) = [json.loads(line) for line in event_log.read_text().splitlines()]
    assert event == {
        "applicationId": world.app_id,
        "configurationProfileId": profile,
        "configurationVersion": version,
        "content": base64.b64encode(b"flag: good").decode(),
        "uri": "s3://config-bucket/feature-file.yml",
    }


def test_lambda_validator_refusal(world: World) -> None:
    """Validators page: AppConfig checks X-Amz-Function-Error, which Lambda sets when the function raises;
    the deployment is refused before it changes anything."""
    profile = world.profile([{"Type": "LAMBDA", "Content": lambda_arn("RefuseBadFunction")}])
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as refused:
        world.start(world.put("flag: bad"), ConfigurationProfileId=profile)
    response = modelled(refused.value)
    assert "forbidden word 'bad'" in response["Error"]["Message"]
    assert response["Reason"] == "InvalidConfiguration"
    (detail,) = response["Details"]["InvalidConfiguration"]
    assert (detail["Type"], detail["Location"], detail["Value"]) == (
        "LAMBDA",
        lambda_arn("RefuseBadFunction"),
        "ValueError",
    )
    assert (
        world.appconfig.list_deployments(ApplicationId=world.app_id, EnvironmentId=world.env_id)["Items"]
        == []
    )
    assert world.start(world.put("flag: fine"), ConfigurationProfileId=profile)["DeploymentNumber"] == 1


def test_lambda_validator_that_runs_out_of_time_refuses(world: World) -> None:
    """Validators page: the validator's run time is limited (15 s including start-up). SlowFunction's own
    timeout of 1 s ends it sooner here; either limit refuses the content."""
    profile = world.profile([{"Type": "LAMBDA", "Content": lambda_arn("SlowFunction")}])
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as refused:
        world.start(world.put("seconds: 30"), ConfigurationProfileId=profile)
    assert modelled(refused.value)["Details"]["InvalidConfiguration"][0]["Value"] == "Sandbox.Timedout"


def test_lambda_validator_that_does_not_exist_refuses(world: World) -> None:
    profile = world.profile([{"Type": "LAMBDA", "Content": lambda_arn("NoSuchFunction")}])
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.start(world.put("a: 1"), ConfigurationProfileId=profile)


def test_both_validators_run(world: World) -> None:
    """ValidatorList allows two validators; each must accept."""
    profile = world.profile(
        [
            {"Type": "JSON_SCHEMA", "Content": json.dumps({"type": "object"})},
            {"Type": "LAMBDA", "Content": lambda_arn("RefuseBadFunction")},
        ]
    )
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as refused:
        world.start(world.put('{"word": "bad"}', "application/json"), ConfigurationProfileId=profile)
    assert modelled(refused.value)["Details"]["InvalidConfiguration"][0]["Type"] == "LAMBDA"


def test_validate_configuration(world: World) -> None:
    """https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_ValidateConfiguration.html (204)."""
    profile = world.profile([{"Type": "LAMBDA", "Content": lambda_arn("RefuseBadFunction")}])
    good, bad = world.put("flag: good"), world.put("flag: bad")
    ok = world.appconfig.validate_configuration(
        ApplicationId=world.app_id, ConfigurationProfileId=profile, ConfigurationVersion=good
    )
    assert ok["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(world.appconfig.exceptions.BadRequestException):
        world.appconfig.validate_configuration(
            ApplicationId=world.app_id, ConfigurationProfileId=profile, ConfigurationVersion=bad
        )


def test_a_deployment_is_visible_while_it_validates(world: World, tmp_path: Path) -> None:
    """While validators run the environment is taken: a second StartDeployment conflicts, and the
    first shows in ListDeployments as VALIDATING (DeploymentState enum of the API reference).
    The validator holds until the test opens its gate, however slow the machine."""
    import threading

    gate = tmp_path / "gate"
    profile = world.profile([{"Type": "LAMBDA", "Content": lambda_arn("GateFunction")}])
    version = world.put(f"gate: {gate}")
    outcome: list[object] = []
    started = threading.Thread(
        target=lambda: outcome.append(world.start(version, ConfigurationProfileId=profile)), daemon=True
    )
    started.start()
    seen: list[str] = []
    try:
        while started.is_alive() and not seen:
            items = world.appconfig.list_deployments(ApplicationId=world.app_id, EnvironmentId=world.env_id)
            seen = [d["State"] for d in items["Items"]]
        assert seen == ["VALIDATING"]
        with pytest.raises(world.appconfig.exceptions.ConflictException):
            world.start(version)
    finally:
        gate.touch()
        started.join()
    assert outcome
