"""Every upload gets an answer: the real ``rollout`` command (its own process, real boto3
clients) against the whole pipeline on the local cloud, one scenario per "Done when" item."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from feature_validator.errors import FeatureFileInvalid
from feature_validator.validate import validate

from localcloud.pipeline import ROOT, LocalPipeline
from localcloud.testing import allow_eventbridge, drain_queue

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

FILES = ROOT / "demo"
ORDERS = json.loads((ROOT / "events" / "orders-sqs.json").read_text())
EMAIL = "ops@example.com"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalPipeline]:
    # Time runs 60 times faster: the stack's own strategy (2 minutes of rollout, 3 of bake) takes
    # 5 s, long enough for the harmful version to reach a consumer and trip its alarm.
    with LocalPipeline(time_scale=60, parameters={"NotificationEmail": EMAIL}) as pipeline:
        yield pipeline


@pytest.fixture(scope="module")
def status_events(cloud: LocalPipeline) -> Any:
    """What a subscriber to the status events receives: a rule of its own, to a queue."""
    return _subscribe_queue(cloud, "status-events", rule={"source": ["s3-appconfig-rollout"]})


@pytest.fixture(scope="module")
def email(cloud: LocalPipeline) -> Any:
    """The notification topic's messages, read through a queue subscribed next to the email."""
    return _subscribe_queue(cloud, "email-copy", topic=cloud.outputs()["NotificationTopicArn"])


def rollout(
    cloud: LocalPipeline, *args: str | Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    where = ["--stack", cloud.stack_name]
    return subprocess.run(
        [sys.executable, "-m", "rollout", *where, *map(str, args)],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT,
    )  # fmt: skip


def versions(cloud: LocalPipeline) -> list[str]:
    listed = (
        cloud.client("s3").list_object_versions(Bucket=cloud.bucket, Prefix=cloud.key).get("Versions", [])
    )
    return [v["VersionId"] for v in listed if v["Key"] == cloud.key]


def tags(cloud: LocalPipeline, version: str, *, status: str | None = None) -> dict[str, str]:
    """The version's tags; with ``status``, once they show it. The record is written first and
    ``--wait`` answers from it, so the tags (and the event) may follow a moment later."""

    def read() -> dict[str, str]:
        tag_set = cloud.client("s3").get_object_tagging(Bucket=cloud.bucket, Key=cloud.key, VersionId=version)
        return {t["Key"]: t["Value"] for t in tag_set["TagSet"]}

    found: dict[str, str] = eventually(
        read, lambda tags: status is None or tags.get("rollout-status") == status
    )
    return found


def eventually(read: Any, done: Any, timeout: float = 120.0) -> Any:
    """``read()`` until ``done`` says yes; the timeout is only a hang guard (it ends at once when done)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    return value


def version_of(result: subprocess.CompletedProcess[str]) -> str:
    first = result.stdout.splitlines()[0]
    assert " as version " in first, result.stdout + result.stderr
    return first.rsplit(" ", 1)[-1]


def test_a_broken_file_gets_exit_1_with_its_problems_and_is_never_uploaded(cloud: LocalPipeline) -> None:
    before = versions(cloud)
    broken = FILES / "2-broken.yml"
    result = rollout(cloud, "push", broken, "--wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert [line.split(":")[1:3] for line in result.stdout.splitlines()] == [
        [str(p.line), str(p.column)] for p in _problems(broken)
    ]
    assert versions(cloud) == before


def test_no_validate_uploads_it_then_it_is_tagged_rejected_with_the_same_problems_in_the_event(
    cloud: LocalPipeline, status_events: Any
) -> None:
    broken = FILES / "2-broken.yml"
    result = rollout(cloud, "push", broken, "--no-validate", "--wait")
    assert result.returncode == 1, result.stdout + result.stderr
    version = version_of(result)
    assert tags(cloud, version, status="rejected") == {"rollout-status": "rejected"}
    expected = [(p.path, p.line, p.column) for p in _problems(broken)]
    printed = [line for line in result.stdout.splitlines() if line.startswith(f"{broken}:")]
    assert len(printed) == len(expected)
    (event,) = _events_of(status_events, version, count=1)
    assert event["detail-type"] == "Rollout Status Changed"
    assert event["detail"]["status"] == "rejected"
    assert [(p["path"], p["line"], p["column"]) for p in event["detail"]["problems"]] == expected


def test_a_valid_upload_is_deployed_with_progress_and_exit_0(
    cloud: LocalPipeline, status_events: Any
) -> None:
    result = rollout(cloud, "push", FILES / "1-launch.yml", "--wait")
    assert result.returncode == 0, result.stdout + result.stderr
    version = version_of(result)
    assert "deploying: deployment" in result.stderr  # progress while it waited
    assert tags(cloud, version, status="deployed")["rollout-status"] == "deployed"
    whole = rollout(cloud, "status", version).stdout
    assert f"version {version} (current)" in whole
    assert "deploy-function" in whole
    assert "status-function" in whole
    statuses = [e["detail"]["status"] for e in _events_of(status_events, version, count=2)]
    assert statuses == ["deploying", "deployed"]


def test_the_harmful_file_gets_exit_2_a_rolled_back_tag_and_an_email(
    cloud: LocalPipeline, email: Any
) -> None:
    worker = cloud.consumer("OrderWorkerFunction", AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS="1")
    command = [
        sys.executable,
        "-m",
        "rollout",
        "--stack",
        cloud.stack_name,
        "push",
        str(FILES / "5-harmful.yml"),
        "--wait",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    ) as process:
        # Orders keep coming while AppConfig rolls the harmful version out: that is what trips the alarm.
        while process.poll() is None:
            worker.invoke(ORDERS)
            time.sleep(0.25)
        out, err = process.communicate()
    assert process.returncode == 2, out + err
    version = out.splitlines()[0].rsplit(" ", 1)[-1]
    assert tags(cloud, version, status="rolled-back")["rollout-status"] == "rolled-back"
    alarm = cloud.stack.ref(cloud.logical_id("ConsumerErrorsAlarm", cloud.environments[0]))
    assert f"alarm: {alarm}" in out
    seen: list[dict[str, Any]] = []

    def about_this_version() -> list[dict[str, Any]]:
        seen.extend(email())
        return [m for m in seen if version in str(m.get("Message"))]

    messages = eventually(about_this_version, bool)
    assert messages, "the rollback reached the notification topic"
    assert "rolled-back" in messages[0]["Message"]


def test_a_burst_ends_with_one_deployed_and_every_other_version_accounted_for(
    cloud: LocalPipeline, tmp_path: Path
) -> None:
    document = (FILES / "3-search-for-everyone.yml").read_text()
    files = []
    for i in range(5):
        path = tmp_path / f"burst-{i}.yml"
        path.write_text(f"{document}\n# burst upload {i}\n")
        files.append(path)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "rollout", "--stack", cloud.stack_name, "push", str(f), "--wait"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for f in files
    ]
    results = [(p.wait(timeout=120), p.communicate()[0]) for p in processes]
    burst = {out.splitlines()[0].rsplit(" ", 1)[-1]: code for code, out in results}
    newest = versions(cloud)[0]
    assert burst[newest] == 0, results
    assert sorted(code for v, code in burst.items() if v != newest) == [3] * (len(files) - 1)
    statuses = {
        v: tags(cloud, v, status="deployed" if v == newest else "superseded")["rollout-status"] for v in burst
    }
    assert [v for v, s in statuses.items() if s == "deployed"] == [newest]
    assert {s for v, s in statuses.items() if v != newest} == {"superseded"}


def test_an_upload_whose_retries_run_out_is_tagged_failed_and_the_queue_alarm_fires(
    cloud: LocalPipeline,
) -> None:
    cloud.appconfig.faults.fail_next("StartDeployment", error="InternalServerException", count=None)
    try:
        result = rollout(cloud, "push", FILES / "1-launch.yml", "--wait")
    finally:
        cloud.appconfig.faults.clear()
    assert result.returncode == 4, result.stdout + result.stderr
    version = version_of(result)
    assert tags(cloud, version, status="failed") == {"rollout-status": "failed"}
    receives = cloud.stack.functions["DeployFunction"].environment["DEPLOY_QUEUE_MAX_RECEIVES"]
    assert f"failed: gave up after {receives} attempts" in result.stdout
    alarm = cloud.stack.ref("DeployFailureQueueAlarm")
    deadline = time.monotonic() + 300  # a hang guard: the loop ends once the alarm fires
    while _alarm_state(cloud, alarm) != "ALARM" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alarm_state(cloud, alarm) == "ALARM"
    _empty(cloud, cloud.stack.ref("DeployFailureQueue"))


def test_restore_of_an_earlier_version_deploys_it(cloud: LocalPipeline) -> None:
    first = rollout(cloud, "push", FILES / "1-launch.yml", "--wait")
    second = rollout(cloud, "push", FILES / "3-search-for-everyone.yml", "--wait")
    assert (first.returncode, second.returncode) == (0, 0), first.stdout + second.stdout
    earlier = version_of(first)
    result = rollout(cloud, "restore", earlier, "--wait")
    assert result.returncode == 0, result.stdout + result.stderr
    restored = version_of(result)
    s3 = cloud.client("s3")
    assert (
        s3.get_object(Bucket=cloud.bucket, Key=cloud.key)["Body"].read()
        == (FILES / "1-launch.yml").read_bytes()
    )
    newest = cloud.deployments()[0]
    assert (newest["ConfigurationVersion"], newest["State"]) == (restored, "COMPLETE")
    assert tags(cloud, restored, status="deployed")["rollout-status"] == "deployed"


def _events_of(received: Any, version: str, *, count: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        seen.extend(received())
        return [e for e in seen if e["detail"]["versionId"] == version]

    return list(eventually(read, lambda found: len(found) >= count))


def _problems(path: Path) -> list[Any]:
    with pytest.raises(FeatureFileInvalid) as refused:
        validate(path.read_bytes())
    return list(refused.value.problems)


def _alarm_state(cloud: LocalPipeline, name: str) -> str:
    (alarm,) = cloud.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return str(alarm["StateValue"])


def _empty(cloud: LocalPipeline, queue: str) -> None:
    cloud.client("sqs").purge_queue(QueueUrl=queue)
    cloud.alarms.evaluate()


def _subscribe_queue(
    cloud: LocalPipeline, name: str, *, rule: dict[str, Any] | None = None, topic: str | None = None
) -> Any:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if rule is not None:
        events = cloud.client("events")
        rule_arn = events.put_rule(Name=name, EventPattern=json.dumps(rule))["RuleArn"]
        allow_eventbridge(sqs, url, arn, rule_arn)
        events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    if topic is not None:
        cloud.client("sns").subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "false"}
        )

    return lambda: drain_queue(sqs, url)


def test_the_github_actions_steps_push_and_wait(cloud: LocalPipeline, tmp_path: Path) -> None:
    """Each step's commands run as GitHub's runner runs them: inputs in the step's env, the
    action's folder as github.action_path, $GITHUB_PATH and $GITHUB_OUTPUT files."""
    import shutil

    import yaml

    # A copy of the repository is the action's folder, as the runner checks an action out: pip
    # builds the project inside it, which must not leave build files in the working tree.
    action_path = tmp_path / "action"
    skip = shutil.ignore_patterns(
        ".git", ".venv", ".tools", ".aws-sam", "*_cache", ".hypothesis", "__pycache__", "build"
    )
    shutil.copytree(ROOT, action_path, ignore=skip)
    action = yaml.safe_load((action_path / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    inputs |= {"stack": cloud.stack_name, "file": str(FILES / "1-launch.yml"), "timeout": "120"}
    paths, outputs = tmp_path / "path", tmp_path / "output"
    paths.touch()
    outputs.touch()
    runner = {"RUNNER_TEMP": str(tmp_path), "GITHUB_PATH": str(paths), "GITHUB_OUTPUT": str(outputs)}
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash"
        env = {name: _expression(value, inputs, action_path) for name, value in step.get("env", {}).items()}
        path = ":".join([*paths.read_text().split(), os.environ["PATH"]])
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            env={**os.environ, **runner, **env, "PATH": path},
            capture_output=True, text=True, timeout=600, check=False, cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 0, step["name"] + ": " + result.stdout + result.stderr
    produced = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert produced["status"] == "deployed"
    assert tags(cloud, produced["version-id"], status="deployed")["rollout-status"] == "deployed"
    assert (tmp_path / "rollout-venv" / "bin" / "rollout").exists(), "the step used the installed command"


def _expression(value: str, inputs: dict[str, str], action_path: Path) -> str:
    """``${{ inputs.NAME }}`` and ``${{ github.action_path }}``, the expressions the action uses."""
    import re

    def replace(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression == "github.action_path":
            return str(action_path)
        assert expression.startswith("inputs."), expression
        return inputs[expression.removeprefix("inputs.")]

    return re.sub(r"\$\{\{(.+?)\}\}", replace, str(value))
