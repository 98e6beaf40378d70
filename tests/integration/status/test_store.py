"""The status store against the local cloud's S3 and EventBridge, through real boto3 clients."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import pytest
from rollout_status.locations import record_key
from rollout_status.model import Change, Status, Uploader
from rollout_status.store import DETAIL_TYPE, SOURCE, StatusStore

from localcloud.testing import drain_queue, versioned_bucket

if TYPE_CHECKING:
    from localcloud.testing import LocalCloud

BUCKET = "config-bucket"
KEY = "team-a/feature-file.yml"


@pytest.fixture
def s3(local_cloud: LocalCloud) -> Any:
    return versioned_bucket(local_cloud.client("s3"), BUCKET)


@pytest.fixture
def captured(local_cloud: LocalCloud) -> Any:
    """A queue that a rule on the default bus fills with every status event."""
    sqs, events = local_cloud.client("sqs"), local_cloud.client("events")
    url = sqs.create_queue(QueueName="status-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="status", EventPattern=json.dumps({"source": [SOURCE], "detail-type": [DETAIL_TYPE]})
    )
    events.put_targets(Rule="status", Targets=[{"Id": "q", "Arn": arn}])

    return lambda: drain_queue(sqs, url)


@pytest.fixture
def store(local_cloud: LocalCloud, s3: Any) -> StatusStore:
    return StatusStore(s3, local_cloud.client("events"), bucket=BUCKET, key=KEY)


def upload(s3: Any, **tags: str) -> str:
    tagging = "&".join(f"{k}={v}" for k, v in tags.items())
    return str(s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"flag: {}", Tagging=tagging)["VersionId"])


def tags_of(s3: Any, version: str) -> dict[str, str]:
    tag_set = s3.get_object_tagging(Bucket=BUCKET, Key=KEY, VersionId=version)["TagSet"]
    return {t["Key"]: t["Value"] for t in tag_set}


def test_a_change_lands_in_the_record_the_version_tags_and_one_event(
    s3: Any, store: StatusStore, captured: Any
) -> None:
    version = upload(s3, owner="team-a")
    newer = upload(s3)
    reported = store.report(
        version,
        Change("production", Status.DEPLOYING, "deployment 3 started", 3),
        uploader=Uploader("AWS:AIDA1"),
    )
    assert reported.applied is not None
    assert tags_of(s3, version) == {
        "owner": "team-a",
        "rollout-status": "deploying",
        "rollout-deployment": "3",
    }
    assert tags_of(s3, newer) == {}, "only the version itself is tagged"
    record, _ = store.read(version)
    assert record is not None
    assert (record.status, record.uploader.principal, record.pending) == (Status.DEPLOYING, "AWS:AIDA1", ())
    (event,) = captured()
    assert event["source"] == SOURCE
    assert event["detail"]["versionId"] == version
    assert event["detail"]["status"] == "deploying"
    # The record is an object of its own beside the configuration, never a version of it.
    keys = {v["Key"] for v in s3.list_object_versions(Bucket=BUCKET)["Versions"]}
    assert keys == {KEY, record_key(KEY, version)}


def test_a_repeated_change_adds_no_history_and_no_event(s3: Any, store: StatusStore, captured: Any) -> None:
    version = upload(s3)
    for _ in range(3):
        store.report(version, Change("production", Status.DEPLOYED, "complete", 3))
    record, _ = store.read(version)
    assert record is not None
    assert len(record.history) == 1
    assert len(captured()) == 1


def test_tags_follow_the_record_and_a_deployment_tag_goes_when_the_status_names_none(
    s3: Any, store: StatusStore
) -> None:
    version = upload(s3)
    store.report(version, Change("production", Status.FAILED, "retries ran out"))
    assert tags_of(s3, version) == {"rollout-status": "failed"}
    store.report(version, Change("production", Status.DEPLOYING, "replayed", 5))
    store.report(version, Change("production", Status.DEPLOYED, "complete", 5))
    assert tags_of(s3, version) == {"rollout-status": "deployed", "rollout-deployment": "5"}


def test_an_interrupted_report_is_finished_by_the_retry(s3: Any, store: StatusStore, captured: Any) -> None:
    version = upload(s3)
    broken = StatusStore(s3, _Refusing(), bucket=BUCKET, key=KEY)
    with pytest.raises(RuntimeError, match="refused"):
        broken.report(version, Change("production", Status.DEPLOYING, "started", 1))
    assert captured() == []
    # The record has the change, so the retry's report is no news, yet it still announces it.
    reported = store.report(version, Change("production", Status.DEPLOYING, "started", 1))
    assert reported.applied is None
    assert [e["detail"]["status"] for e in captured()] == ["deploying"]
    assert tags_of(s3, version)["rollout-status"] == "deploying"


def test_concurrent_writers_never_lose_each_others_changes(
    s3: Any, local_cloud: LocalCloud, captured: Any
) -> None:
    version = upload(s3)
    environments = [f"stage-{i}" for i in range(6)]
    barrier = threading.Barrier(len(environments))
    errors: list[BaseException] = []

    def write(environment: str) -> None:
        store = StatusStore(local_cloud.client("s3"), local_cloud.client("events"), bucket=BUCKET, key=KEY)
        barrier.wait()
        try:
            store.report(version, Change(environment, Status.DEPLOYING, "started", 1))
        except BaseException as error:  # reported below, with every thread's outcome
            errors.append(error)

    threads = [threading.Thread(target=write, args=(e,)) for e in environments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    record, _ = StatusStore(s3, None, bucket=BUCKET, key=KEY).read(version)
    assert record is not None
    assert sorted(record.environments) == environments
    assert record.pending == ()
    assert sorted(e["detail"]["environment"] for e in captured()) == environments


class _Refusing:
    def put_events(self, **_: Any) -> dict[str, Any]:
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}
