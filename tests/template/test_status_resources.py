"""The template's side of every upload's answer: status writers' permissions, the status
function's triggers, alarms, the optional email and a dashboard of metrics the code emits."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from deployer.outcomes import Outcome
from deployer.statuses import WRITES as DEPLOY_FUNCTION_WRITES
from status_listener.deployments import WRITES as DEPLOYMENT_EVENT_WRITES

from tests.template.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

RECORDS = "${ConfigBucket.Arn}/${ConfigPrefix}feature-file.yml.rollout/*"
OBJECT = "${ConfigBucket.Arn}/${ConfigPrefix}feature-file.yml"
DEFAULT_BUS = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
STATUS_WRITERS = ("DeployFunction", "StatusFunction")


def _sub(value: Any) -> Any:
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    return value


def _statements(template: dict[str, Any], function: str) -> dict[str, dict[str, Any]]:
    """The function's own policy and the ``AWS::IAM::Policy`` resources of its role (one per
    configuration or stage; with the default parameters, one of each)."""
    resources = template["Resources"]
    statements = [s for p in resources[function]["Properties"].get("Policies", []) for s in p["Statement"]]
    for resource in resources.values():
        if (
            resource["Type"] == "AWS::IAM::Policy"
            and {"Ref": f"{function}Role"} in resource["Properties"]["Roles"]
        ):
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    return {s["Sid"]: s for s in statements if "Sid" in s}


@pytest.mark.parametrize("function", STATUS_WRITERS)
def test_status_writers_may_touch_records_tags_and_status_events_only(
    template: dict[str, Any], function: str
) -> None:
    statements = _statements(template, function)
    records = statements["ReadAndWriteStatusRecords"]
    # PutObjectTagging: records are tagged for the lifecycle rule that keeps no stale copies.
    assert (sorted(records["Action"]), _sub(records["Resource"])) == (
        ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging"],
        RECORDS,
    )
    tags = statements["TagVersionsWithTheirStatus"]
    assert sorted(tags["Action"]) == [
        "s3:GetObjectTagging",
        "s3:GetObjectVersionTagging",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
    ]
    assert _sub(tags["Resource"]) == OBJECT
    events = statements["AnnounceStatusChanges"]
    assert (events["Action"], _sub(events["Resource"])) == ("events:PutEvents", DEFAULT_BUS)
    assert events["Condition"] == {"StringEquals": {"events:source": "s3-appconfig-rollout"}}


def test_the_validator_may_only_leave_reports(template: dict[str, Any]) -> None:
    statements = _statements(template, "ValidatorFunction")
    assert list(statements) == ["LeaveTheProblemsOfARefusedVersion"]
    report = statements["LeaveTheProblemsOfARefusedVersion"]
    assert report["Action"] == "s3:PutObject"
    assert (
        _sub(report["Resource"])
        == "${ConfigBucket.Arn}/${ConfigPrefix}feature-file.yml.rollout/*.validation.json"
    )


def test_the_status_function_reads_deployments_with_every_required_resource_type(
    template: dict[str, Any],
) -> None:
    statements = _statements(template, "StatusFunction")
    application = statements["ReadTheDeploymentsOfThisApplication"]
    assert "appconfig:GetDeployment" in application["Action"]
    assert _sub(application["Resource"]).endswith(":application/${Application}")
    statement = statements["ReadWhatBecameOfADeployment"]  # the stage's own
    assert statement["Action"] == "appconfig:GetDeployment"
    resources = [_sub(r) for r in statement["Resource"]]
    assert [r.split(":application/", 1)[-1] for r in resources] == [
        "${Application}/environment/${Environmentproduction.EnvironmentId}",
        "${Application}/environment/${Environmentproduction.EnvironmentId}/deployment/*",
    ]


def test_the_status_function_hears_appconfigs_deployment_events_of_this_application(
    template: dict[str, Any],
) -> None:
    """Every stage's events: the association is on the application (all its environments), and the
    function's settings name each stage's environment, so another application's events say nothing."""
    resources = template["Resources"]
    association = resources["DeploymentEventsAssociation"]["Properties"]
    assert association["ExtensionIdentifier"] == "AWS.AppConfig.DeploymentNotificationsToEventBridge"
    assert _sub(association["ResourceIdentifier"]).endswith(":application/${Application}")
    properties = resources["StatusFunction"]["Properties"]
    pattern = properties["Events"]["DeploymentEvents"]["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.appconfig"]
    assert pattern["detail"]["Application"]["Id"] == [{"Ref": "Application"}]
    variables = properties["Environment"]["Variables"]
    assert variables["APPCONFIG_ENVIRONMENT_ID_production"] == {
        "Fn::GetAtt": ["Environmentproduction", "EnvironmentId"]
    }


def test_records_keep_no_stale_copies(template: dict[str, Any]) -> None:
    rules = template["Resources"]["ConfigBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    records = next(r for r in rules if r["Id"] == "StatusRecordsKeepNoHistory")
    # Every configuration's records (tagged), none of the configurations themselves.
    assert records["Prefix"] == {"Ref": "ConfigPrefix"}
    assert records["TagFilters"] == [{"Key": "rollout-record", "Value": "true"}]
    assert records["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_email_exists_only_with_an_address_and_alarms_send_to_it(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    for name in (
        "NotificationKey",
        "NotificationTopic",
        "NotificationSubscription",
        "NotificationTopicPolicy",
        "NotifyRule",
    ):
        assert resources[name]["Condition"] == "HasNotificationEmail", name
    rule = resources["NotifyRule"]["Properties"]
    assert rule["EventPattern"]["detail"]["status"] == ["rejected", "rolled-back", "failed"]
    alarms = [
        "DeployFailureQueueAlarm",
        "StatusFailureQueueAlarm",
        "DeployErrorsAlarm",
        "ValidatorErrorsAlarm",
    ]
    for name in alarms:
        assert resources[name]["Properties"]["AlarmActions"] == {
            "Fn::If": ["HasNotificationEmail", [{"Ref": "NotificationTopic"}], {"Ref": "AWS::NoValue"}]
        }, name


def _emitted() -> set[tuple[str, str]]:
    """(POWERTOOLS_SERVICE_NAME, metric) for every metric the functions' code can emit."""
    sources = {
        "config-deployer": ROOT / "functions/deploy/deployer",
        "feature-validator": ROOT / "functions/validator/feature_validator",
        "rollout-status": ROOT / "functions/status/status_listener",
    }
    found = {
        (service, name)
        for service, folder in sources.items()
        for path in folder.glob("*.py")
        for name in re.findall(r'add_metric\(name="(\w+)"', path.read_text())
    }
    found |= {("config-deployer", o.metric_name) for o in Outcome}
    found |= {("config-deployer", s.metric_name) for s in DEPLOY_FUNCTION_WRITES}
    found |= {("rollout-status", s.metric_name) for s in DEPLOYMENT_EVENT_WRITES}
    return found


def test_every_metric_on_the_dashboard_is_one_a_function_emits(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    services = {
        name: r["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for name, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert {"config-deployer", "feature-validator", "rollout-status"} <= set(services.values())
    body = json.loads(_sub(resources["Dashboard"]["Properties"]["DashboardBody"]))
    emitted = _emitted()
    plotted = [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    assert plotted
    # Every stage's consumers, whatever the stages: one search for this stack's functions' errors.
    (search,) = [m[0] for m in plotted if isinstance(m[0], dict)]
    assert search["expression"].startswith(
        "SEARCH('{AWS/Lambda,FunctionName} MetricName=\"Errors\" ${StackSuffix}'"
    )
    for namespace, metric, dimension, value in (m for m in plotted if not isinstance(m[0], dict)):
        if namespace == "ConfigRollout":
            assert dimension == "service"
            assert (value, metric) in emitted, f"{metric} of {value} is plotted but never emitted"
        else:
            assert (namespace, metric, dimension) == (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
            )
            assert value in ("${DeployFailureQueue.QueueName}", "${StatusFailureQueue.QueueName}")
    statuses = {m[1] for m in plotted if len(m) > 1 and m[1].startswith("Status")}
    assert statuses == {s.metric_name for s in DEPLOY_FUNCTION_WRITES | DEPLOYMENT_EVENT_WRITES}
    # The alarm widget lists alarms of this template.
    (alarms,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    for arn in alarms["properties"]["alarms"]:
        assert resources[arn.removeprefix("${").removesuffix(".Arn}")]["Type"] == "AWS::CloudWatch::Alarm"


@pytest.mark.parametrize(
    ("function", "package", "shared"),
    [
        ("DeployFunction", "deployer", ("rollout_status", "function_settings")),
        ("StatusFunction", "status_listener", ("rollout_status", "function_settings")),
        ("ValidatorFunction", "feature_validator", ("rollout_status",)),
        ("FlagsApiFunctionproduction", "flags_api", ("function_settings",)),
        ("OrderWorkerFunctionproduction", "order_worker", ("function_settings",)),
    ],
)
def test_each_function_carries_the_modules_it_shares_as_files(
    sam_build: Callable[[], Path], function: str, package: str, shared: tuple[str, ...]
) -> None:
    artifact = sam_build() / function
    assert (artifact / package / "handler.py").is_file()
    for name in shared:  # the status module every status writer shares; what every settings module shares
        module = artifact / name
        assert not module.is_symlink()
        assert (module / "__init__.py").is_file()
        assert not (module / "__init__.py").is_symlink()
