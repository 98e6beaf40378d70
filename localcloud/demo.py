"""``make demo``: the whole pipeline on one machine, narrated step by step.

Every step states what it expects and checks it; the exit status is 0 only if every check held.
The local cloud runs a minute of AppConfig strategy in a second (time scale 60), so the
template's own strategy (two minutes of rollout, three of bake) takes five seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud import demo_stages
from localcloud.delivery import DeliveryChaos
from localcloud.pipeline import ROOT, LocalPipeline

if TYPE_CHECKING:
    from localcloud.consumers import ConsumerEnvironment

FILES = ROOT / "demo"
TIME_SCALE = 60.0
POLL_INTERVAL = "1"  # the consumers' extension poll interval here (the template says 30 s)
BUDGET_SECONDS = 60.0
STAGES_BUDGET_SECONDS = 90.0
CALLERS = (
    {"user": "ana@example.com", "tier": "premium", "region": "eu-west-1"},
    {"user": "bo@example.com", "tier": "standard", "region": "us-east-1"},
)


@dataclass
class Narrator:
    started: float = field(default_factory=time.monotonic)
    failures: list[str] = field(default_factory=list)

    def step(self, title: str) -> None:
        print(f"\n[{self.elapsed():5.1f}s] == {title}", flush=True)

    def say(self, text: str) -> None:
        print(f"         {text}", flush=True)

    def check(self, ok: bool, expectation: str) -> None:
        print(f"         {'ok  ' if ok else 'FAIL'} {expectation}", flush=True)
        if not ok:
            self.failures.append(expectation)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def main() -> int:
    n = Narrator()
    n.step("Starting the local cloud: moto, the local AppConfig service, the stack from template.yaml")
    with LocalPipeline(time_scale=TIME_SCALE) as cloud:
        _describe(cloud, n)
        settings = {"AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS": POLL_INTERVAL}
        api = cloud.consumer("FlagsApiFunction", **settings)
        worker = cloud.consumer("OrderWorkerFunction", **settings)
        n.say("consumers started in the local Lambda sandbox, each with the caching extension from the layer")
        first, flags = step_valid_upload(cloud, n, api)
        step_broken_upload(cloud, n, api, flags)
        step_changed_upload(cloud, n, api)
        step_restore(cloud, n, api, first, flags)
        step_burst(cloud, n)
        step_harmful_upload(cloud, n, worker)
    one_stage = n.elapsed()
    demo_stages.run(n, time_scale=TIME_SCALE, poll_interval=POLL_INTERVAL, orders=_orders)
    n.step(f"Done in {n.elapsed():.1f} s ({one_stage:.1f} s for the default stack)")
    if one_stage > BUDGET_SECONDS:
        n.failures.append(f"the default stack's part took longer than {BUDGET_SECONDS:g} s")
    if n.elapsed() - one_stage > STAGES_BUDGET_SECONDS:
        n.failures.append(f"the stages' part took longer than {STAGES_BUDGET_SECONDS:g} s")
    if n.failures:
        print("\nFAILED: " + "; ".join(n.failures))
        return 1
    print("\nEvery expectation held.")
    return 0


def step_valid_upload(
    cloud: LocalPipeline, n: Narrator, api: ConsumerEnvironment
) -> tuple[str, list[dict[str, Any]]]:
    n.step("1. Upload a valid feature-file.yml")
    code, first = _push(cloud, n, "1-launch.yml")
    assert first is not None
    cloud.settle()
    n.check(code == 0, "rollout push --wait answered 0: deployed")
    n.check(_fate(cloud, first) == "deployed", "the deploy function deployed exactly this version")
    n.check(_state_of(cloud, first) == "COMPLETE", "AppConfig validated it and completed the deployment")
    flags = _evaluate(api, n)
    n.check(
        flags[0]["free_shipping"] is True and flags[1]["free_shipping"] is False,
        "premium callers get free shipping, standard ones do not",
    )
    return first, flags


def step_broken_upload(
    cloud: LocalPipeline, n: Narrator, api: ConsumerEnvironment, flags: list[dict[str, Any]]
) -> None:
    n.step("2. Upload a broken file")
    versions_before = len(_versions(cloud))
    code, _ = _push(cloud, n, "2-broken.yml")
    n.check(
        code == 1 and len(_versions(cloud)) == versions_before,
        "rollout refused it with line:column, 1, and uploaded nothing",
    )
    n.say("uploaded anyway, past the command's own check: the validator in the pipeline refuses it")
    code, broken = _push(cloud, n, "2-broken.yml", "--no-validate")
    assert broken is not None
    cloud.settle()
    n.check(code == 1, "rollout push --wait answered 1: rejected, with the validator's problems")
    n.check(_fate(cloud, broken) == "rejected", "the validator refused it")
    n.check(_status_tag(cloud, broken) == "rejected", "the version is tagged rollout-status=rejected")
    complete = [d["ConfigurationVersion"] for d in cloud.deployments() if d["State"] == "COMPLETE"]
    n.check(broken not in complete, "nothing of it was deployed")
    time.sleep(float(POLL_INTERVAL) + 0.2)
    n.check(_evaluate(api, n, quiet=True) == flags, "the consumer still serves the previous version")


def step_changed_upload(cloud: LocalPipeline, n: Narrator, api: ConsumerEnvironment) -> None:
    n.step("3. Upload a changed valid file")
    code, changed = _push(cloud, n, "3-search-for-everyone.yml")
    assert changed is not None
    cloud.settle()
    n.check(code == 0, "rollout push --wait answered 0: deployed")
    n.check(_state_of(cloud, changed) == "COMPLETE", "deployed and complete")
    time.sleep(float(POLL_INTERVAL) + 0.2)
    n.say(f"waited the consumers' poll interval ({POLL_INTERVAL} s)")
    flags = _evaluate(api, n)
    n.check(all(f["new_search"] is True for f in flags), "the consumer sees the change: new_search is on")


def step_restore(
    cloud: LocalPipeline, n: Narrator, api: ConsumerEnvironment, first: str, flags: list[dict[str, Any]]
) -> None:
    n.step(
        "4. Restore the first version: rollout restore copies it onto the key, as S3 documents restoring one"
    )
    code, restored = _rollout(cloud, n, "restore", first, "--wait")
    assert restored is not None
    cloud.settle()
    n.check(code == 0, "rollout restore --wait answered 0: deployed")
    n.check(_fate(cloud, restored) == "deployed", "the copy is a new version, and it was deployed")
    n.check(_state_of(cloud, restored) == "COMPLETE", "AppConfig validated it and completed the deployment")
    time.sleep(float(POLL_INTERVAL) + 0.2)
    n.check(_evaluate(api, n) == flags, "the consumer serves the first version's flags again")


def step_burst(cloud: LocalPipeline, n: Narrator) -> None:
    n.step(
        "5. A burst of uploads, each waiting for its answer; S3 and EventBridge duplicate and reorder "
        "the deliveries"
    )
    cloud.deliveries.chaos = DeliveryChaos(duplicate_probability=0.5, max_delay=1.0, seed=4)
    document = (FILES / "3-search-for-everyone.yml").read_text()
    with tempfile.TemporaryDirectory() as folder:
        files = [Path(folder) / f"burst-{i}.yml" for i in range(4)]
        for i, path in enumerate(files):
            path.write_text(f"{document}\n# burst upload {i}\n")
        pushes = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and command
                _rollout_command(cloud, "push", str(path), "--wait"),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                cwd=ROOT,
            )
            for path in files
        ]
        answers = [(p.wait(timeout=60), p.communicate()[0]) for p in pushes]
    cloud.settle()
    cloud.deliveries.chaos = DeliveryChaos()
    burst = {}
    for i, (code, out) in enumerate(answers):
        first = out.splitlines()[0] if out else ""
        version = first.rsplit(" ", 1)[-1]
        burst[version] = code
        answer = out.splitlines()[1] if len(out.splitlines()) > 1 else ""
        n.say(f"push {i} -> {version[:8]}…: exit {code}, {answer[:110]}")
    tags = {version: _status_tag(cloud, version) for version in burst}
    newest = cloud.deployments()[0]
    n.check(
        (newest["ConfigurationVersion"], newest["State"]) == (_versions(cloud)[0], "COMPLETE"),
        "the last upload won",
    )
    n.check(sorted(tags.values()).count("deployed") == 1, "exactly one version is tagged deployed")
    n.check(
        all(t in ("deployed", "superseded", "rejected") for t in tags.values()),
        "every other version is tagged superseded: none untagged",
    )
    n.check(sorted(burst.values()) == [0] + [3] * (len(burst) - 1), "its push answered 0, every other push 3")


def step_harmful_upload(cloud: LocalPipeline, n: Narrator, worker: ConsumerEnvironment) -> None:
    n.step("6. A configuration that makes a consumer fail")
    before = _orders(worker)
    args = (str((FILES / "5-harmful.yml").relative_to(ROOT)), "--wait")
    n.say("the order worker keeps taking orders while AppConfig rolls the new version out")
    with subprocess.Popen(  # noqa: S603 - our own interpreter and command
        _rollout_command(cloud, "push", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    ) as push:
        failures = 0
        while push.poll() is None:
            failures += _orders(worker).startswith("failed")
            time.sleep(0.25)
        out = push.communicate()[0]
    harmful = _show_push(n, args, push.returncode, out)
    cloud.settle()
    n.say(f"the order worker failed {failures} invocation(s); the alarm: {_alarm_state(cloud)}")
    deployment = next(d for d in cloud.deployments() if d["ConfigurationVersion"] == harmful)
    n.check(failures > 0, "the harmful version reached the worker and made it fail")
    n.check(deployment["State"] == "ROLLED_BACK", "the alarm fired and AppConfig rolled the deployment back")
    n.check(
        push.returncode == 2 and "alarm: " in out,
        "rollout push --wait answered 2: rolled back, naming the alarm",
    )
    time.sleep(float(POLL_INTERVAL) + 0.2)
    after = _orders(worker)
    n.check(after == before, f"the worker serves the previous version again: {after}")


def _rollout_command(cloud: LocalPipeline, *args: str) -> list[str]:
    return [sys.executable, "-m", "rollout", "--stack", cloud.stack_name, *args]


def _show_push(n: Narrator, args: tuple[str, ...], code: int, out: str, command: str = "push") -> str | None:
    """Print what the uploader sees; return the uploaded version, if any."""
    n.say(f"$ rollout {command} {' '.join(args)}")
    for line in out.splitlines():
        n.say(f"  {line if len(line) <= 150 else line[:149] + '…'}")
    n.say(f"  (exit {code})")
    first = out.splitlines()[0] if out else ""
    return first.rsplit(" ", 1)[-1] if " as version " in first else None


def _push(cloud: LocalPipeline, n: Narrator, name: str, *extra: str) -> tuple[int, str | None]:
    """``rollout push demo/NAME --wait``, as an uploader runs it: its own process, its exit code."""
    return _rollout(cloud, n, "push", str((FILES / name).relative_to(ROOT)), "--wait", *extra)


def _rollout(cloud: LocalPipeline, n: Narrator, command: str, *args: str) -> tuple[int, str | None]:
    """The command's own code, run here rather than in a process of its own to keep the demo
    within its minute (the burst and the harmful upload run it as processes)."""
    import contextlib
    import io

    from rollout.cli import main as rollout

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = rollout(["--stack", cloud.stack_name, command, *args])
    return code, _show_push(n, args, code, out.getvalue(), command)


def _status_tag(cloud: LocalPipeline, version: str) -> str:
    tags = cloud.client("s3").get_object_tagging(Bucket=cloud.bucket, Key=cloud.key, VersionId=version)
    return str({t["Key"]: t["Value"] for t in tags["TagSet"]}.get("rollout-status", "untagged"))


def _describe(cloud: LocalPipeline, n: Narrator) -> None:
    appconfig = cloud.client("appconfig")
    profile = appconfig.get_configuration_profile(
        ApplicationId=cloud.ids()["ApplicationId"],
        ConfigurationProfileId=cloud.profile_id(),
    )
    n.say(f"moto (S3, SQS, CloudWatch) at {cloud.moto.endpoint}; AppConfig at {cloud.appconfig.endpoint}")
    n.say(
        f"bucket {cloud.bucket} (versioned) sends its events to EventBridge; a rule on {cloud.key} "
        "invokes DeployFunction for every new version"
    )
    validators = ", ".join(v["Content"].rsplit(":", 1)[-1] for v in profile.get("Validators", [])) or "none"
    n.say(f"profile {profile['Name']} -> {profile['LocationUri']}, validator: {validators}")
    environment = appconfig.get_environment(**cloud.ids())
    n.say(f"environment {environment['Name']} watches {len(environment.get('Monitors', []))} alarm(s)")


def _versions(cloud: LocalPipeline) -> list[str]:
    listed = (
        cloud.client("s3").list_object_versions(Bucket=cloud.bucket, Prefix=cloud.key).get("Versions", [])
    )
    return [v["VersionId"] for v in listed if v["Key"] == cloud.key]


def _results(cloud: LocalPipeline, version: str) -> list[dict[str, Any]]:
    return [result for result in cloud.deploy_results() if result.get("versionId") == version]


def _fate(cloud: LocalPipeline, version: str) -> str:
    results = _results(cloud, version)
    return results[0]["outcome"] if results else "none"


def _state_of(cloud: LocalPipeline, version: str) -> str | None:
    return next((d["State"] for d in cloud.deployments() if d["ConfigurationVersion"] == version), None)


def _evaluate(api: ConsumerEnvironment, n: Narrator, *, quiet: bool = False) -> list[dict[str, Any]]:
    template = json.loads((ROOT / "events" / "flags-api-get.json").read_text())
    evaluations = []
    for caller in CALLERS:
        event = {**template, "queryStringParameters": caller}
        result = api.invoke(event)
        body = json.loads(result.payload["body"]) if not result.failed else {"flags": {}}
        evaluations.append(body["flags"])
        if not quiet:
            shown = json.dumps(body["flags"], sort_keys=True)
            n.say(f"flags-api for {caller['tier']}/{caller['region']}: {shown}")
    return evaluations


def _orders(worker: ConsumerEnvironment) -> str:
    event = json.loads((ROOT / "events" / "orders-sqs.json").read_text())
    result = worker.invoke(event)
    if result.failed:
        return f"failed: {result.error and result.error.get('errorType')}"
    return ", ".join(f"{f['order_id']} via {f['provider']}" for f in result.payload["fulfilled"])


def _alarm_state(cloud: LocalPipeline) -> str:
    alarms = cloud.client("cloudwatch").describe_alarms(
        AlarmNames=[cloud.stack.ref(cloud.logical_id("ConsumerErrorsAlarm", cloud.environments[0]))]
    )["MetricAlarms"]
    return ", ".join(f"{a['AlarmName']} {a['StateValue']}" for a in alarms)


if __name__ == "__main__":
    sys.exit(main())
