"""The local AppConfig service's pure pieces: strategy schedules, the model-driven wire codec,
the template resolver, and fault rules. No network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from localcloud.appconfig import wire
from localcloud.appconfig.errors import ServiceError
from localcloud.appconfig.faults import Faults, SdkAttempt
from localcloud.appconfig.strategies import PREDEFINED, steps
from localcloud.cfn.language_extensions import expand
from localcloud.template import Resolver, Unresolved, load

if TYPE_CHECKING:
    from collections.abc import Mapping

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
    template = expand(load(ROOT / "template.yaml"), {}, region="us-east-1")
    resolver = Resolver(template)
    deploy = template["Resources"]["DeployFunction"]["Properties"]["Environment"]["Variables"]
    assert resolver.resolve(deploy["CONFIGURATIONS"]) == "feature-file.yml"
    assert resolver.resolve(deploy["CONFIG_PREFIX"]) == ""
    api = template["Resources"]["FlagsApiFunctionproduction"]["Properties"]
    assert resolver.resolve(api["FunctionName"]) == "flags-api-production-000000000000"
    for resource in ("CONFIG_BUCKET", "APPCONFIG_APPLICATION_ID"):
        with pytest.raises(Unresolved):
            resolver.resolve(deploy[resource])  # !Ref of a resource
    assert Resolver(template, {"ConfigPrefix": "team-a/"}).resolve(deploy["CONFIG_PREFIX"]) == "team-a/"
    # A list parameter is a list to Ref, as CloudFormation gives it.
    assert Resolver(template, {"Environments": "staging, production"}).parameter("Environments") == [
        "staging",
        "production",
    ]


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


def _attempt(call: str, attempt: int, of: int = 3) -> SdkAttempt:
    request = f"ttl=20260101T000000Z; attempt={attempt}; max={of}"
    return SdkAttempt.from_headers({"amz-sdk-invocation-id": call, "amz-sdk-request": request})


def refused(faults: Faults, operation: str, params: Mapping[str, object], attempt: SdkAttempt) -> bool:
    try:
        faults.apply(operation, params, attempt)
    except ServiceError:
        return True
    return False


def test_a_call_rule_fails_every_attempt_of_one_sdk_call_and_no_other_call() -> None:
    faults = Faults()
    faults.fail_call("StartDeployment", where={"ConfigurationVersion": "v9"}, error="ThrottlingException")
    target = {"ConfigurationVersion": "v9"}
    assert not refused(faults, "StartDeployment", {"ConfigurationVersion": "v8"}, _attempt("a", 1))
    assert refused(faults, "StartDeployment", target, _attempt("b", 1))
    # A concurrent call for the same version is not the one being failed.
    assert not refused(faults, "StartDeployment", target, _attempt("c", 1))
    assert refused(faults, "StartDeployment", target, _attempt("b", 2))
    assert refused(faults, "StartDeployment", target, _attempt("b", 3))
    # The SDK gave up on call b: the rule is spent, the next call goes through.
    assert faults.rules() == []
    assert not refused(faults, "StartDeployment", target, _attempt("d", 1))


def test_a_call_rule_counts_a_request_without_sdk_headers_as_a_whole_call() -> None:
    faults = Faults()
    faults.fail_call("GetDeployment", count=2)
    assert refused(faults, "GetDeployment", {}, SdkAttempt.from_headers({}))
    assert refused(faults, "GetDeployment", {}, SdkAttempt.from_headers({"User-Agent": "curl"}))
    assert not refused(faults, "GetDeployment", {}, SdkAttempt())


def test_where_restricts_every_kind_of_rule() -> None:
    faults = Faults()
    faults.fail_next("GetDeployment", where={"DeploymentNumber": "3"}, count=None)
    assert not refused(faults, "GetDeployment", {"DeploymentNumber": 2}, SdkAttempt())
    assert refused(faults, "GetDeployment", {"DeploymentNumber": 3}, SdkAttempt())


def test_rate_rule_refills_by_its_clock() -> None:
    now = [100.0]
    faults = Faults(clock=lambda: now[0])
    faults.throttle("ListApplications", per_second=2, count=None)
    outcomes = [refused(faults, "ListApplications", {}, SdkAttempt()) for _ in range(3)]
    assert outcomes == [False, False, True]  # a bucket of two
    now[0] += 0.5  # one token back
    outcomes = [refused(faults, "ListApplications", {}, SdkAttempt()) for _ in range(2)]
    assert outcomes == [False, True]


def test_configure_builds_a_call_rule_from_json_and_refuses_unknown_kinds() -> None:
    faults = Faults()
    spec = {"operation": "StartDeployment", "kind": "call", "where": {"ConfigurationVersion": 7}}
    rule = faults.configure(spec)
    assert (rule.kind, rule.where) == ("call", {"ConfigurationVersion": "7"})
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.configure({"kind": "explode"})
    with pytest.raises(TypeError, match="where"):
        faults.configure({"where": ["x"]})
