"""``make demo``: the whole pipeline on one machine, narrated step by step.

Every step states what it expects and checks it; the exit status is 0 only if every check held.
The local cloud runs a minute of AppConfig strategy in a second (time scale 60), so the
template's own strategy (two minutes of rollout, three of bake) takes five seconds.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.delivery import DeliveryChaos
from localcloud.pipeline import ROOT, LocalPipeline

if TYPE_CHECKING:
    from localcloud.consumers import ConsumerEnvironment

FILES = ROOT / "demo"
TIME_SCALE = 60.0
POLL_INTERVAL = "1"  # the consumers' extension poll interval here (the template says 30 s)
BUDGET_SECONDS = 60.0
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
    n.step(f"Done in {n.elapsed():.1f} s")
    if n.elapsed() > BUDGET_SECONDS:
        n.failures.append(f"the demo took longer than {BUDGET_SECONDS:g} s")
    if n.failures:
        print("\nFAILED: " + "; ".join(n.failures))
        return 1
    print("\nEvery expectation held.")
    return 0


def step_valid_upload(
    cloud: LocalPipeline, n: Narrator, api: ConsumerEnvironment
) -> tuple[str, list[dict[str, Any]]]:
    n.step("1. Upload a valid feature-file.yml")
    first = _upload(cloud, n, "1-launch.yml")
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
    broken = _upload(cloud, n, "2-broken.yml")
    n.check(_fate(cloud, broken) == "rejected", "the validator refused it")
    for line in re.split(r"; |\n", _reason(cloud, broken)):
        n.say(f"  validator: {line[:140]}{'…' if len(line) > 140 else ''}")
    complete = [d["ConfigurationVersion"] for d in cloud.deployments() if d["State"] == "COMPLETE"]
    n.check(broken not in complete, "nothing of it was deployed")
    time.sleep(float(POLL_INTERVAL) + 0.2)
    n.check(_evaluate(api, n, quiet=True) == flags, "the consumer still serves the previous version")


def step_changed_upload(cloud: LocalPipeline, n: Narrator, api: ConsumerEnvironment) -> None:
    n.step("3. Upload a changed valid file")
    changed = _upload(cloud, n, "3-search-for-everyone.yml")
    n.check(_state_of(cloud, changed) == "COMPLETE", "deployed and complete")
    time.sleep(float(POLL_INTERVAL) + 0.2)
    n.say(f"waited the consumers' poll interval ({POLL_INTERVAL} s)")
    flags = _evaluate(api, n)
    n.check(all(f["new_search"] is True for f in flags), "the consumer sees the change: new_search is on")


def step_restore(
    cloud: LocalPipeline, n: Narrator, api: ConsumerEnvironment, first: str, flags: list[dict[str, Any]]
) -> None:
    n.step("4. Restore the first version: copy it onto the key, as S3 documents restoring one")
    restored = cloud.restore(first)
    n.say(f"CopyObject {first[:8]}… onto {cloud.key} -> new versionId {restored[:8]}…")
    cloud.settle()
    n.say(f"deploy function: {_fate(cloud, restored)}; deployment: {_state_of(cloud, restored) or 'none'}")
    n.check(_fate(cloud, restored) == "deployed", "the copy is a new version, and it was deployed")
    n.check(_state_of(cloud, restored) == "COMPLETE", "AppConfig validated it and completed the deployment")
    time.sleep(float(POLL_INTERVAL) + 0.2)
    n.check(_evaluate(api, n) == flags, "the consumer serves the first version's flags again")


def step_burst(cloud: LocalPipeline, n: Narrator) -> None:
    n.step("5. A burst of uploads; S3 and EventBridge duplicate and reorder the deliveries")
    cloud.deliveries.chaos = DeliveryChaos(duplicate_probability=0.5, max_delay=1.0, seed=4)
    document = (FILES / "3-search-for-everyone.yml").read_text()
    burst = [cloud.upload(f"{document}\n# burst upload {i}\n".encode()) for i in range(6)]
    cloud.settle()
    cloud.deliveries.chaos = DeliveryChaos()
    deliveries: dict[str, list[str]] = defaultdict(list)
    for event in cloud.deploy_events():
        if event.attempts and not event.attempts[-1].failed:
            for result in event.attempts[-1].payload["results"]:
                deliveries[result["versionId"]].append(result["outcome"])
    for i, version in enumerate(burst):
        fates = ", ".join(deliveries[version])
        n.say(f"upload {i} {version[:8]}…: {len(deliveries[version])} deliveries -> {fates}")
    newest = cloud.deployments()[0]
    n.check(
        (newest["ConfigurationVersion"], newest["State"]) == (burst[-1], "COMPLETE"), "the last upload won"
    )
    n.check(all(deliveries[v] for v in burst), "every version is accounted for")
    deployed = [
        d for d in cloud.deployments() if d["State"] == "COMPLETE" and d["ConfigurationVersion"] in burst
    ]
    n.check(len(deployed) == 1, "only the last one was deployed, once")


def step_harmful_upload(cloud: LocalPipeline, n: Narrator, worker: ConsumerEnvironment) -> None:
    n.step("6. A configuration that makes a consumer fail")
    before = _orders(worker)
    harmful = _upload(cloud, n, "5-harmful.yml", settle=False)
    n.say("the order worker keeps taking orders while AppConfig rolls the new version out")
    failures = _until_settled(cloud, worker, harmful)
    n.say(f"the order worker failed {failures} invocation(s); the alarm: {_alarm_state(cloud)}")
    deployment = next(d for d in cloud.deployments() if d["ConfigurationVersion"] == harmful)
    n.check(failures > 0, "the harmful version reached the worker and made it fail")
    n.check(deployment["State"] == "ROLLED_BACK", "the alarm fired and AppConfig rolled the deployment back")
    time.sleep(float(POLL_INTERVAL) + 0.2)
    after = _orders(worker)
    n.check(after == before, f"the worker serves the previous version again: {after}")


def _describe(cloud: LocalPipeline, n: Narrator) -> None:
    appconfig = cloud.client("appconfig")
    profile = appconfig.get_configuration_profile(
        ApplicationId=cloud.ids()["ApplicationId"],
        ConfigurationProfileId=cloud.stack.ref("ConfigurationProfile"),
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


def _upload(cloud: LocalPipeline, n: Narrator, name: str, *, settle: bool = True) -> str:
    version = cloud.upload((FILES / name).read_bytes())
    n.say(f"PUT {name} as s3://{cloud.bucket[:22]}…/{cloud.key} -> versionId {version[:8]}…")
    if settle:
        cloud.settle()
        n.say(f"deploy function: {_fate(cloud, version)}; deployment: {_state_of(cloud, version) or 'none'}")
    return version


def _results(cloud: LocalPipeline, version: str) -> list[dict[str, Any]]:
    return [
        result
        for event in cloud.deploy_events()
        if event.attempts and not event.attempts[-1].failed
        for result in event.attempts[-1].payload["results"]
        if result["versionId"] == version
    ]


def _fate(cloud: LocalPipeline, version: str) -> str:
    results = _results(cloud, version)
    return results[0]["outcome"] if results else "none"


def _reason(cloud: LocalPipeline, version: str) -> str:
    results = _results(cloud, version)
    return str(results[0]["reason"]) if results else ""


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


def _until_settled(
    cloud: LocalPipeline, worker: ConsumerEnvironment, version: str, timeout: float = 30.0
) -> int:
    """Feed orders to the worker from the moment ``version``'s deployment exists until it has ended;
    count failed invocations. (S3's event reaches the deploy function a moment after the upload.)"""
    failures = 0
    deadline = time.monotonic() + timeout
    while _state_of(cloud, version) is None and _fate(cloud, version) == "none":
        if time.monotonic() > deadline:
            return failures
        time.sleep(0.05)
    while time.monotonic() < deadline:
        failures += _orders(worker).startswith("failed")
        if _state_of(cloud, version) in ("COMPLETE", "ROLLED_BACK", "REVERTED"):
            break
        time.sleep(0.25)
    return failures


def _alarm_state(cloud: LocalPipeline) -> str:
    alarms = cloud.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return ", ".join(f"{a['AlarmName']} {a['StateValue']}" for a in alarms)


if __name__ == "__main__":
    sys.exit(main())
