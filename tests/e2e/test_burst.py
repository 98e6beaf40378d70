"""The burst: 100 uploads, delivered at least once and out of order onto the deploy queue, while
AppConfig throttles and fails now and then. The last upload must win and every version must be
accounted for."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import pytest

from localcloud.delivery import DeliveryChaos
from localcloud.pipeline import LocalPipeline

if TYPE_CHECKING:
    from collections.abc import Iterator

UPLOADS = 100
TERMINAL = {"deployed", "superseded", "duplicate", "rejected"}


@pytest.fixture
def burst_cloud() -> Iterator[LocalPipeline]:
    chaos = DeliveryChaos(duplicate_probability=0.3, max_delay=1.5, seed=20261123)
    with LocalPipeline(time_scale=600, chaos=chaos) as cloud:
        yield cloud


# Hang guards that a busy machine does not outlast: the stage takes the burst one request at a time.
@pytest.mark.timeout(900)
def test_burst_of_uploads_ends_with_the_last_one_deployed_and_every_version_accounted_for(
    burst_cloud: LocalPipeline,
) -> None:
    cloud = burst_cloud
    faults = cloud.appconfig.faults
    # Transient failures the SDK's own three attempts absorb, wherever they land: two of each
    # kind can never fail one call three times.
    faults.throttle("StartDeployment", count=2)
    faults.fail_next("ListDeployments", error="InternalServerException", count=2)

    versions = [cloud.upload(_feature_file(i)) for i in range(UPLOADS - 1)]
    # The last upload's first StartDeployment call fails on every attempt the SDK makes, in
    # whichever delivery makes it: that invocation fails and Lambda must retry it. Its
    # deliveries are held until the rule that names its version is in place.
    cloud.deliveries.holding = True
    versions.append(cloud.upload(_feature_file(UPLOADS - 1)))
    (last_event,) = [n.event for n in cloud.notifications.sent if n.version_id == versions[-1]]
    faults.fail_call(
        "StartDeployment", where={"ConfigurationVersion": versions[-1]}, error="ThrottlingException"
    )
    cloud.deliveries.release()  # with the same chaos: duplicated or not, delayed
    cloud.settle(timeout=600)

    deployments = cloud.deployments()
    completed = [d for d in deployments if d["State"] == "COMPLETE"]
    # The configuration in service is the last upload.
    assert completed[0]["ConfigurationVersion"] == versions[-1]
    # An older upload may start after it, when its own check that it is the newest ran before
    # the last upload landed; its check after the start then stops it at once (rollout.py).
    started_later = deployments[: deployments.index(completed[0])]
    assert all(d["State"] == "ROLLED_BACK" for d in started_later), started_later
    # No version was deployed twice.
    per_version = Counter(d["ConfigurationVersion"] for d in completed)
    assert per_version.most_common(1)[0][1] == 1

    # Every request ended, none on the failure queue, and every version has a terminal outcome.
    invocations = cloud.deploy_invocations()
    assert not any(i.failed for i in invocations)
    # The queue deduplicates what EventBridge repeats; each upload was handled at least once.
    assert len(invocations) >= UPLOADS
    # The request that met the last upload's fault came back from the queue and was decided.
    met = [
        i
        for event, i in cloud.deploy_batches()
        if [json.loads(r["body"]) for r in event["Records"]] == [last_event]
    ]
    assert len(met) > 1
    assert met[0].payload["batchItemFailures"]  # held for a retry, not lost
    outcomes: dict[str, set[str]] = defaultdict(set)
    for result in cloud.deploy_results():
        outcomes[result["versionId"]].add(result["outcome"])
    assert set(outcomes) == set(versions)
    assert all(found <= TERMINAL for found in outcomes.values())
    assert "deployed" in outcomes[versions[-1]]
    queue = cloud.stack.ref("DeployFailureQueue")
    assert "Messages" not in cloud.client("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=0)


def test_an_older_upload_delivered_last_is_superseded(burst_cloud: LocalPipeline) -> None:
    cloud = burst_cloud
    cloud.deliveries.holding = True  # deliver by hand, in reverse order
    first, second = cloud.upload(_feature_file(1)), cloud.upload(_feature_file(2))
    sent = {n.version_id: n for n in cloud.notifications.sent}
    # What EventBridge held for the function is exactly what S3 sent: the rule passes it on whole.
    assert [d.event for d in cloud.deliveries.held] == [sent[first].event, sent[second].event]
    assert sent[first].sequencer < sent[second].sequencer  # S3's order, whatever the delivery order
    events = {version: notified.event for version, notified in sent.items()}
    newer = cloud.functions.invoke("DeployFunction", events[second])
    older = cloud.functions.invoke("DeployFunction", events[first])
    assert newer.payload["results"][0]["outcome"] == "deployed"
    assert older.payload["results"][0]["outcome"] == "superseded"
    cloud.settle()
    assert [d["ConfigurationVersion"] for d in cloud.deployments()] == [second]


def _feature_file(n: int) -> bytes:
    document = {"beta_checkout": {"default": n % 2 == 0}, "banner": {"default": True}}
    return json.dumps(document).encode()  # JSON is YAML, and this validates as a feature file
