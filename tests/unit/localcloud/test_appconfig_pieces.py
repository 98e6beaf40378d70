"""The local AppConfig service's pure pieces: strategy schedules, the model-driven wire codec,
the template resolver, and fault rules. No network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.appconfig import wire
from localcloud.appconfig.errors import ServiceError
from localcloud.appconfig.faults import Faults
from localcloud.appconfig.strategies import PREDEFINED, steps
from localcloud.template import Resolver, Unresolved, load

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("AppConfig.Linear50PercentEvery30Seconds", [(30.0, 50.0), (60.0, 100.0)]),
        ("AppConfig.Linear20PercentEvery6Minutes", [(360.0 * k, 20.0 * k) for k in range(1, 6)]),
        (
            "AppConfig.Canary10Percent20Minutes",
            [(240.0, 10.0), (480.0, 20.0), (720.0, 40.0), (960.0, 80.0), (1200.0, 100.0)],
        ),
        ("AppConfig.AllAtOnce", [(0.0, 100.0)]),
    ],
)
def test_predefined_schedules(strategy: str, expected: list[tuple[float, float]]) -> None:
    spec = PREDEFINED[strategy]
    assert steps(spec["GrowthType"], spec["GrowthFactor"], spec["DeploymentDurationInMinutes"]) == expected


def test_linear_factor_that_does_not_divide_100_ends_at_100() -> None:
    assert steps("LINEAR", 30, 4)[-1] == (240.0, 100.0)
    assert [p for _, p in steps("LINEAR", 30, 4)] == [30.0, 60.0, 90.0, 100.0]


def test_routes_follow_the_model_including_awss_spelling() -> None:
    found = wire.route("DELETE", "/deployementstrategies/abc1234")
    assert found is not None
    assert (found[0].operation.name, found[1]) == (
        "DeleteDeploymentStrategy",
        {"DeploymentStrategyId": "abc1234"},
    )
    found = wire.route("GET", "/configuration")
    assert found is not None
    assert (found[0].service, found[0].operation.name) == ("appconfigdata", "GetLatestConfiguration")
    assert wire.route("GET", "/nothing/here") is None


def test_parse_binds_uri_query_header_and_body() -> None:
    found = wire.route("DELETE", "/applications/app1234/environments/env1234/deployments/3")
    assert found is not None
    request = wire.parse_request(found[0], found[1], "", {"Allow-Revert": "true"}, b"")
    assert request.params == {
        "ApplicationId": "app1234",
        "EnvironmentId": "env1234",
        "DeploymentNumber": 3,
        "AllowRevert": True,
    }
    found = wire.route("POST", "/configurationsessions")
    assert found is not None
    body = json.dumps(
        {
            "ApplicationIdentifier": "a",
            "EnvironmentIdentifier": "e",
            "ConfigurationProfileIdentifier": "p",
            "RequiredMinimumPollIntervalInSeconds": 10,
        }
    )
    with pytest.raises(ServiceError) as error:  # 10 < the modelled minimum of 15
        wire.parse_request(found[0], found[1], "", {}, body.encode())
    assert error.value.code == "BadRequestException"


def test_output_headers_and_payload() -> None:
    response = wire.serialize_output(
        "appconfigdata",
        "GetLatestConfiguration",
        {
            "NextPollConfigurationToken": "t",
            "NextPollIntervalInSeconds": 60,
            "ContentType": "application/json",
            "Configuration": b"{}",
        },
    )
    assert response.status == 200
    assert response.body == b"{}"
    assert response.headers == {
        "Next-Poll-Configuration-Token": "t",
        "Next-Poll-Interval-In-Seconds": "60",
        "Content-Type": "application/json",
    }


def test_errors_carry_the_type_header_and_modelled_members() -> None:
    error = ServiceError("BadRequestException", 400, "no", Reason="InvalidConfiguration", Details={"x": 1})
    response = wire.serialize_error(error)
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert json.loads(response.body) == {
        "Message": "no",
        "Reason": "InvalidConfiguration",
        "Details": {"x": 1},
    }


def test_template_resolver_on_the_projects_template() -> None:
    template = load(ROOT / "template.yaml")
    resolver = Resolver(template)
    deploy = template["Resources"]["DeployFunction"]["Properties"]["Environment"]["Variables"]
    assert resolver.resolve(deploy["CONFIG_KEY"]) == "feature-file.yml"
    api = template["Resources"]["FlagsApiFunction"]["Properties"]
    assert resolver.resolve(api["FunctionName"]) == "flags-api-00000000-0000-0000-0000-000000000000"
    for resource in ("CONFIG_BUCKET", "APPCONFIG_APPLICATION_ID"):
        with pytest.raises(Unresolved):
            resolver.resolve(deploy[resource])  # !Ref of a resource
    assert (
        Resolver(template, {"ConfigPrefix": "team-a/"}).resolve(deploy["CONFIG_KEY"])
        == "team-a/feature-file.yml"
    )


def test_fault_rules_are_consumed_call_by_call() -> None:
    faults = Faults()
    faults.fail_next("StartDeployment", error="ConflictException", count=2)
    faults.apply("GetDeployment")
    for _ in range(2):
        with pytest.raises(ServiceError) as error:
            faults.apply("StartDeployment")
        assert (error.value.code, error.value.status) == ("ConflictException", 409)
    faults.apply("StartDeployment")
    assert faults.rules() == []
