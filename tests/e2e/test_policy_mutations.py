"""Policy mutation test: every Allow statement of the template's function and AppConfig roles
(and every resource of a multi-resource statement) is needed.

Each mutation removes one statement, or one resource of a statement, from template.yaml, starts
the local cloud on the mutated template and runs only the scenario that needs that statement.
The scenario must then fail where AWS would fail it: some call refused with AccessDenied naming
one of the statement's actions (or sts:AssumeRole for a trust policy). The unmutated template
passes every scenario with no denial at all, so a denial is the mutation's doing.
"""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from localcloud.cfn.language_extensions import expand
from localcloud.iam.audit import DENIALS
from localcloud.pipeline import ROOT, LocalPipeline
from localcloud.template import load

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.e2e
TEMPLATE = ROOT / "template.yaml"
VALID = (ROOT / "feature-file.yml").read_bytes()
FAST = {"CustomStrategyDurationMinutes": "0", "CustomStrategyBakeMinutes": "0"}

# Statements AWS documents for AppConfig's S3 retrieval role that no call of the local cloud
# makes: AppConfig's page says "The role must include the following permissions" without
# saying which calls use them, so they stay in the template. The test keeps this list exact.
# https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-S3-source.html
DOCUMENTED_NOT_EXERCISED = {
    "RetrievalRole/ReadConfigurationObject/Bucket",
    "RetrievalRole/ReadConfigurationObject/Account",
}


def _statement_lists(template: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(label, statements) of every function's and role's permission and trust policies."""
    found: list[tuple[str, list[dict[str, Any]]]] = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            for policy in props.get("Policies", []):
                if isinstance(policy, dict) and "Statement" in policy:
                    found.append((logical_id, policy["Statement"]))
        elif resource["Type"] == "AWS::IAM::Role":
            found.append((f"{logical_id}/trust", props["AssumeRolePolicyDocument"]["Statement"]))
            for policy in props.get("Policies", []):
                found.append((f"{logical_id}/{policy['PolicyName']}", policy["PolicyDocument"]["Statement"]))
        elif resource["Type"] == "AWS::IAM::Policy":  # one per configuration or stage
            found.append((logical_id, props["PolicyDocument"]["Statement"]))
    return found


def expanded(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The template as CloudFormation runs it with these parameters: its loops expanded."""
    return expand(load(TEMPLATE), dict(parameters or {}), region="us-east-1")


def _statements_of(policy: Any) -> Any:
    if not isinstance(policy, dict):
        return None  # a SAM policy template or managed policy name
    return policy.get("Statement", policy.get("PolicyDocument", {}).get("Statement"))


def _label(owner: str, index: int, statement: dict[str, Any]) -> str:
    return f"{owner}/{statement.get('Sid', index)}"


def mutations() -> list[tuple[str, int, int | None]]:
    """(statements label, statement index, resource index or None for the whole statement)."""
    out: list[tuple[str, int, int | None]] = []
    for owner, statements in _statement_lists(expanded()):
        for index, statement in enumerate(statements):
            # ``!If [HasKmsKey, statement, AWS::NoValue]``: absent with the default parameters, and
            # the local cloud does not authorise KMS use (see README), so nothing could need it.
            if "Fn::If" in statement or statement["Effect"] != "Allow":
                continue
            out.append((owner, index, None))
            resources = statement.get("Resource")
            if isinstance(resources, list) and len(resources) > 1:
                out.extend((owner, index, r) for r in range(len(resources)))
    return out


def mutated_template(
    tmp_path: Path, owner: str, index: int, resource: int | None, parameters: dict[str, str]
) -> Path:
    template = copy.deepcopy(expanded(parameters))
    for name, statements in _statement_lists(template):
        if name == owner:
            if resource is None:
                del statements[index]
            else:
                del statements[index]["Resource"][resource]
    # IAM refuses a policy with no statement: removing a policy resource's only statement removes it.
    empty = [
        logical_id
        for logical_id, spec in template["Resources"].items()
        if spec["Type"] == "AWS::IAM::Policy" and spec["Properties"]["PolicyDocument"]["Statement"] == []
    ]
    for logical_id in empty:
        del template["Resources"][logical_id]
    for spec in template["Resources"].values():  # the copy lives elsewhere: code folders absolute
        props = spec.get("Properties", {})
        # IAM refuses a policy with no statement: removing a policy's only statement removes it.
        if "Policies" in props:
            props["Policies"] = [p for p in props["Policies"] if _statements_of(p) != []]
        for field in ("CodeUri", "ContentUri"):
            if isinstance(props.get(field), str):
                props[field] = str((ROOT / props[field]).resolve())
    path = tmp_path / "template.json"  # JSON is YAML: the long-form intrinsics load as they are
    path.write_text(json.dumps(template))
    return path


# ---------------------------------------------------------------- the focused scenarios
def _deploy(cloud: LocalPipeline, body: bytes = VALID) -> tuple[str, Any]:
    """PUT one version and run the deploy function on its notification (held, then delivered)."""
    version = cloud.upload(body)
    event = next(n.event for n in reversed(cloud.notifications.sent) if n.version_id == version)
    return version, cloud.functions.invoke("DeployFunction", event)


def _outcomes(invocation: Any) -> list[str]:
    if invocation.failed:
        return [f"failed: {invocation.error.get('errorMessage', '')}"]
    return [r["outcome"] for r in invocation.payload["results"]]


def scenario_deploy_twice(cloud: LocalPipeline) -> bool:
    """A deployment, then a newer upload while it rolls out: Start, List, Get and Stop, HeadObject."""
    _, first = _deploy(cloud)
    _, second = _deploy(cloud, VALID + b"\n# a newer version\n")
    return _outcomes(first) == ["deployed"] and _outcomes(second) == ["deployed"]


def scenario_deleted(cloud: LocalPipeline) -> bool:
    """ "Deleted since this upload": HeadObject 403 without s3:ListBucket, then the key listed."""
    version = cloud.upload(VALID)
    event = next(n.event for n in cloud.notifications.sent if n.version_id == version)
    cloud.client("s3").delete_object(Bucket=cloud.bucket, Key=cloud.key)
    return _outcomes(cloud.functions.invoke("DeployFunction", event)) == ["superseded"]


def scenario_consumer(function: str) -> Callable[[LocalPipeline], bool]:
    def run(cloud: LocalPipeline) -> bool:
        _deploy(cloud)
        consumer = cloud.consumer(function, AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS="15")
        if function.startswith("FlagsApiFunction"):
            event = json.loads((ROOT / "events" / "flags-api-get.json").read_text())
        else:
            event = json.loads((ROOT / "events" / "orders-sqs.json").read_text())
        result = consumer.invoke(event)
        if result.failed or result.payload.get("batchItemFailures"):
            return False
        # Powertools falls back to flag defaults when the store fails: ask the extension itself
        # whether the function gets its configuration.
        env = cloud.stack.function_environment[function]
        path = "/applications/{}/environments/{}/configurations/{}".format(
            env["APPCONFIG_APPLICATION"], env["APPCONFIG_ENVIRONMENT"], env["APPCONFIG_PROFILE"]
        )
        assert consumer.sandbox is not None
        with consumer.sandbox.invocation():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{consumer.port}{path}", timeout=10) as answer:
                    return bool(answer.status == 200)
            except urllib.error.HTTPError:
                return False

    return run


def scenario_rollback(cloud: LocalPipeline) -> bool:
    """AppConfig reads the alarm with the monitor role and rolls a baking deployment back."""
    version, invocation = _deploy(cloud)
    if _outcomes(invocation) != ["deployed"]:
        return False
    alarm = next(iter(cloud.stack.alarms))
    mark = DENIALS.mark()
    cloud.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="test")
    # Until AppConfig acts on the alarm or is refused reading it; the bake (the longest the
    # template allows) outlasts any delay a busy machine puts between AppConfig's alarm reads.
    guard = time.monotonic() + 600
    while time.monotonic() < guard:
        state = cloud.deployments()[0]["State"]
        if state == "ROLLED_BACK":
            return True
        if DENIALS.since(mark):
            return False
        if state == "COMPLETE":
            raise AssertionError(f"the bake of {version} ended before AppConfig read the alarm")
        time.sleep(0.05)
    raise AssertionError(f"AppConfig neither rolled {version} back nor was refused reading the alarm")


def scenario_refusal(cloud: LocalPipeline) -> bool:
    """A broken upload: the validator leaves its problems beside the version's record."""
    from rollout_status.reports import read_report

    broken = (ROOT / "demo" / "2-broken.yml").read_bytes()
    version, invocation = _deploy(cloud, broken)
    report = read_report(cloud.client("s3"), cloud.bucket, cloud.key, version)
    return _outcomes(invocation) == ["rejected"] and bool(report)


def scenario_status(cloud: LocalPipeline) -> bool:
    """AppConfig's completion event reaches the status function, which tags the version deployed:
    GetDeployment, the record, the tags and the status event."""
    version, invocation = _deploy(cloud)
    if _outcomes(invocation) != ["deployed"]:
        return False
    deadline = time.monotonic() + 300  # a hang guard: the loop ends as soon as the event is held
    while True:  # AppConfig's events are held like every delivery here
        complete = [
            d.event
            for d in cloud.deliveries.held
            if d.function == "StatusFunction" and d.event.get("detail-type") == "On Deployment Complete"
        ]
        if complete or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not complete:
        raise AssertionError(f"AppConfig sent no completion event for {version}")
    result = cloud.functions.invoke("StatusFunction", complete[0])
    tags = cloud.client("s3").get_object_tagging(Bucket=cloud.bucket, Key=cloud.key, VersionId=version)
    return not result.failed and {"Key": "rollout-status", "Value": "deployed"} in tags["TagSet"]


def _through_the_queue(cloud: LocalPipeline, done: Callable[[], bool]) -> bool:
    """Deliver what is held (the upload's event, to the deploy queue), then wait until ``done``
    or until some call is refused."""
    mark = DENIALS.mark()
    cloud.deliveries.release()
    guard = time.monotonic() + 300  # a hang guard: the loop ends as soon as either happens
    while time.monotonic() < guard:
        if done():
            return True
        if DENIALS.since(mark):
            return False
        time.sleep(0.05)
    raise AssertionError("the pipeline neither finished nor was refused a call")


def scenario_hold(cloud: LocalPipeline) -> bool:
    """A request whose StartDeployment fails is held on the deploy queue for its retry
    (ChangeMessageVisibility), then deployed."""
    version = cloud.upload(VALID)
    cloud.appconfig.faults.fail_call(
        "StartDeployment", where={"ConfigurationVersion": version}, error="ThrottlingException"
    )
    return _through_the_queue(cloud, lambda: any(d["State"] == "COMPLETE" for d in cloud.deployments()))


def scenario_promotion(cloud: LocalPipeline) -> bool:
    """A version that completes the first stage is promoted by the status function (the stage's
    history, a message on the deploy queue) and deployed to the next."""
    cloud.upload(VALID)
    later = cloud.environments[1]
    return _through_the_queue(cloud, lambda: any(d["State"] == "COMPLETE" for d in cloud.deployments(later)))


SLOW_BAKE = {"CustomStrategyDurationMinutes": "0", "CustomStrategyBakeMinutes": "1440"}
SLOW_ROLLOUT = {"CustomStrategyDurationMinutes": "600", "CustomStrategyBakeMinutes": "0"}
# A second stage after production, for what only a promotion does: the labels of the default
# template's resources stay the same in this one.
PROMOTION = {**FAST, "Environments": "production,later"}
SCENARIOS: dict[str, tuple[Callable[[LocalPipeline], bool], dict[str, str]]] = {
    "DeployFunction": (scenario_deploy_twice, SLOW_ROLLOUT),
    "DeployFunction/HoldARequestWhileItsStageIsBusy": (scenario_hold, FAST),
    "DeploymentsOffeaturefileyml": (scenario_deploy_twice, SLOW_ROLLOUT),
    "DeploymentsOffeaturefileyml/ListOnlyTheConfigurationObjectsKey": (scenario_deleted, FAST),
    "DeploymentsInproduction": (scenario_deploy_twice, SLOW_ROLLOUT),
    "ConsumersReadproductionfeaturefileyml": (scenario_consumer("FlagsApiFunctionproduction"), FAST),
    "FlagsApiFunctionproduction": (scenario_consumer("FlagsApiFunctionproduction"), FAST),
    "OrderWorkerFunctionproduction": (scenario_consumer("OrderWorkerFunctionproduction"), FAST),
    "RetrievalRole": (scenario_deploy_twice, SLOW_ROLLOUT),
    "RetrievalOffeaturefileyml": (scenario_deploy_twice, SLOW_ROLLOUT),
    "MonitorRole": (scenario_rollback, SLOW_BAKE),
    "StatusFunction": (scenario_status, FAST),
    "StatusFunction/PromoteToTheNextStage": (scenario_promotion, PROMOTION),
    "StatusesOffeaturefileyml": (scenario_status, FAST),
    "StatusesInproduction": (scenario_status, FAST),
    "StatusesInproduction/ListTheDeploymentsOfThisStage": (scenario_promotion, PROMOTION),
    "ValidatorFunction": (scenario_refusal, FAST),
    "RefusalsOffeaturefileyml": (scenario_refusal, FAST),
}


def scenario_for(label: str) -> tuple[Callable[[LocalPipeline], bool], dict[str, str]]:
    for prefix in sorted(SCENARIOS, key=len, reverse=True):
        if label == prefix or label.startswith(prefix + "/"):
            return SCENARIOS[prefix]
    raise KeyError(f"no scenario exercises {label}")


def run(template: Path | None, label: str) -> tuple[bool, list[str]]:
    """The scenario of ``label`` on ``template`` (None: template.yaml itself)."""
    scenario, parameters = scenario_for(label)
    with LocalPipeline(template=template or TEMPLATE, time_scale=600, parameters=parameters) as cloud:
        cloud.deliveries.holding = True  # each scenario delivers the notification it needs
        mark = DENIALS.mark()
        passed = scenario(cloud)
        return passed, DENIALS.since(mark)


def _actions(label: str, statement: dict[str, Any]) -> list[str]:
    if label.split("/")[1:2] == ["trust"]:
        return ["sts:AssumeRole"]
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


# The one refusal the unmutated template gets, by design: S3's HeadObject of a deleted key checks
# s3:ListBucket without s3:prefix, so the function sees 403 and lists the key itself.
EXPECTED_BASELINE = {
    "DeploymentsOffeaturefileyml/ListOnlyTheConfigurationObjectsKey": ["perform: s3:ListBucket"]
}
_baselines: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = {}


def baseline(label: str) -> list[str]:
    """The unmutated template's denials in the scenario of ``label`` (run once per scenario and
    parameters, whichever labels share them)."""
    key = next(p for p in sorted(SCENARIOS, key=len, reverse=True) if label == p or label.startswith(p + "/"))
    scenario, parameters = SCENARIOS[key]
    shared = (
        scenario.__qualname__
        + repr(scenario.__closure__ and [c.cell_contents for c in scenario.__closure__]),
        tuple(sorted(parameters.items())),
    )
    if shared not in _baselines:
        passed, denials = run(None, key)
        assert passed, f"the scenario of {key} fails on the unmutated template"
        _baselines[shared] = denials
    return _baselines[shared]


@pytest.mark.parametrize("label", sorted(SCENARIOS))
def test_the_unmutated_template_passes_each_scenario(label: str) -> None:
    denials = baseline(label)
    expected = EXPECTED_BASELINE.get(label, [])
    assert len(denials) == len(expected)
    assert all(e in d for e, d in zip(expected, denials, strict=True))


@pytest.mark.parametrize(("owner", "index", "resource"), mutations())
def test_removing_a_statement_fails_the_call_that_needs_it(
    owner: str, index: int, resource: int | None, tmp_path: Path
) -> None:
    statement = dict(_statement_lists(expanded()))[owner][index]
    label = _label(owner, index, statement)
    _, parameters = scenario_for(label)
    passed, denials = run(mutated_template(tmp_path, owner, index, resource, parameters), label)
    new = list((Counter(denials) - Counter(baseline(label))).elements())
    refused = [d for d in new if any(f"perform: {a}" in d for a in _actions(label, statement))]
    if label in DOCUMENTED_NOT_EXERCISED:
        assert passed
        assert not refused, "this statement is now exercised: take it off DOCUMENTED_NOT_EXERCISED"
        return
    assert not passed, f"removing {label} (resource {resource}) changed nothing a user would notice"
    assert refused, f"no new AccessDenied for {_actions(label, statement)}: {new}"
