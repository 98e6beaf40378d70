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
from status_listener.failures import WRITES as FAILURE_WRITES

from tests.template.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

RECORDS = "${ConfigBucket.Arn}/${ConfigPrefix}${ConfigKey}.rollout/*"
OBJECT = "${ConfigBucket.Arn}/${ConfigPrefix}${ConfigKey}"
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
    (policy,) = template["Resources"][function]["Properties"]["Policies"]
    return {s["Sid"]: s for s in policy["Statement"] if "Sid" in s}


@pytest.mark.parametrize("function", STATUS_WRITERS)
def test_status_writers_may_touch_records_tags_and_status_events_only(
    template: dict[str, Any], function: str
) -> None:
    statements = _statements(template, function)
    records = statements["ReadAndWriteStatusRecords"]
    assert (sorted(records["Action"]), _sub(records["Resource"])) == (
        ["s3:GetObject", "s3:PutObject"],
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
    if function == "DeployFunction":
        # SAM's policy for its EventBridge on-failure destination lets it put events on the bus.
        destination = template["Resources"][function]["Properties"]["EventInvokeConfig"]["DestinationConfig"]
        assert (destination["OnFailure"]["Type"], _sub(destination["OnFailure"]["Destination"])) == (
            "EventBridge",
            DEFAULT_BUS,
        )
        return
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
        == "${ConfigBucket.Arn}/${ConfigPrefix}${ConfigKey}.rollout/*.validation.json"
    )


def test_the_status_function_reads_deployments_with_every_required_resource_type(
    template: dict[str, Any],
) -> None:
    statement = _statements(template, "StatusFunction")["ReadWhatBecameOfADeployment"]
    assert statement["Action"] == "appconfig:GetDeployment"
    resources = [_sub(r) for r in statement["Resource"]]
    assert [r.split(":application/", 1)[-1] for r in resources] == [
        "${Application}",
        "${Application}/environment/${Environment.EnvironmentId}",
        "${Application}/environment/${Environment.EnvironmentId}/deployment/*",
    ]


def test_the_status_function_hears_appconfigs_deployment_events_of_this_environment(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    association = resources["DeploymentEventsAssociation"]["Properties"]
    assert association["ExtensionIdentifier"] == "AWS.AppConfig.DeploymentNotificationsToEventBridge"
    assert _sub(association["ResourceIdentifier"]).endswith(
        ":application/${Application}/environment/${Environment.EnvironmentId}"
    )
    pattern = resources["StatusFunction"]["Properties"]["Events"]["DeploymentEvents"]["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.appconfig"]
    assert pattern["detail"]["Environment"]["Id"] == [{"Fn::GetAtt": ["Environment", "EnvironmentId"]}]


def test_records_keep_no_stale_copies(template: dict[str, Any]) -> None:
    rules = template["Resources"]["ConfigBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    records = next(r for r in rules if r["Id"] == "StatusRecordsKeepNoHistory")
    assert _sub(records["Prefix"]) == "${ConfigPrefix}${ConfigKey}.rollout/"
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
    found |= {("rollout-status", s.metric_name) for s in DEPLOYMENT_EVENT_WRITES | FAILURE_WRITES}
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
    for namespace, metric, dimension, value in plotted:
        if namespace == "ConfigRollout":
            assert dimension == "service"
            assert (value, metric) in emitted, f"{metric} of {value} is plotted but never emitted"
        elif namespace == "AWS/Lambda":
            assert (metric, dimension, value) in {
                ("Errors", "FunctionName", "${FlagsApi}"),
                ("Errors", "FunctionName", "${OrderWorker}"),
            }
        else:
            assert (namespace, metric, dimension) == (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
            )
            assert value in ("${DeployFailureQueue.QueueName}", "${StatusFailureQueue.QueueName}")
    statuses = {m[1] for m in plotted if m[1].startswith("Status")}
    assert statuses == {
        s.metric_name for s in DEPLOY_FUNCTION_WRITES | DEPLOYMENT_EVENT_WRITES | FAILURE_WRITES
    }
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
        ("FlagsApiFunction", "flags_api", ("function_settings",)),
        ("OrderWorkerFunction", "order_worker", ("function_settings",)),
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
