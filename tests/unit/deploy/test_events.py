"""Everything an event source can deliver to the deploy function ends in a named outcome.

The main path is S3's "Object Created" event through EventBridge
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html); S3 notification records
still work (a user may wire them); S3's test event is ignored with a log line; anything else is
``unrecognized``, never a traceback.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from deployer.outcomes import Outcome
from deployer.uploads import NotAnUpload, Upload, items_from_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.deploy.conftest import BUCKET, KEY, VERSION, stage_deployer
from tests.unit.deploy.test_handler_with_botocore import IDS, Context, deployment, handler

if TYPE_CHECKING:
    import io

    from botocore.stub import Stubber
    from deployer.rollout import Rollout

EVENTS = Path(__file__).resolve().parents[3] / "events"
EVENT_BUCKET = "config-rollout-configbucket-1x2y3z4w5v6u"


def load(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


def eventbridge(reason: str = "PutObject", key: str = KEY, **object_fields: Any) -> dict[str, Any]:
    event = load("eventbridge-object-created.json")
    event["detail"]["bucket"]["name"] = BUCKET
    event["detail"]["object"].update({"key": key, "version-id": VERSION, **object_fields})
    event["detail"]["reason"] = reason
    return dict(event)


@pytest.mark.parametrize(
    ("reason", "event_name"),
    [
        ("PutObject", "ObjectCreated:Put"),
        ("POST Object", "ObjectCreated:Post"),
        ("CopyObject", "ObjectCreated:Copy"),
        ("CompleteMultipartUpload", "ObjectCreated:CompleteMultipartUpload"),
    ],
)
def test_every_api_that_creates_a_version_is_an_upload(reason: str, event_name: str) -> None:
    (upload,) = items_from_event(eventbridge(reason))
    assert isinstance(upload, Upload)
    assert (upload.event_name, upload.bucket, upload.key) == (event_name, BUCKET, KEY)
    assert (upload.version_id, upload.sequencer) == (VERSION, "0067A1B2C3D4E5F601")
    assert upload.is_object_created
    assert upload.event_time is not None
    assert upload.event_time.isoformat() == "2026-11-23T09:00:00+00:00"


def test_the_sample_events_read_as_the_readme_says() -> None:
    created = items_from_event(load("eventbridge-object-created.json"))
    copied = items_from_event(load("eventbridge-object-copied.json"))
    assert [(u.bucket, u.key, u.event_name) for u in created if isinstance(u, Upload)] == [
        (EVENT_BUCKET, "feature-file.yml", "ObjectCreated:Put")
    ]
    assert [u.event_name for u in copied if isinstance(u, Upload)] == ["ObjectCreated:Copy"]
    (record,) = items_from_event(load("s3-put-url-encoded-key.json"))
    assert isinstance(record, Upload)
    assert record.key == "team a/feature-file.yml"  # S3 records encode keys; they are decoded
    (unversioned,) = items_from_event(load("s3-put-unversioned.json"))
    assert isinstance(unversioned, Upload)
    assert unversioned.version_id is None
    (test_event,) = items_from_event(load("s3-test-event.json"))
    assert isinstance(test_event, NotAnUpload)
    assert (test_event.outcome, test_event.bucket) == (Outcome.IGNORED, EVENT_BUCKET)


def test_an_eventbridge_key_is_taken_as_it_arrives() -> None:
    # Only notification records are URL-encoded: "a+b c.yml" here is the object "a+b c.yml".
    (upload,) = items_from_event(eventbridge(key="team a/a+b.yml"))
    assert isinstance(upload, Upload)
    assert upload.key == "team a/a+b.yml"


@pytest.mark.parametrize("version", [None, "null"])
def test_an_eventbridge_event_of_an_unversioned_bucket_has_no_version(version: str | None) -> None:
    event = eventbridge()
    if version is None:
        del event["detail"]["object"]["version-id"]
    else:
        event["detail"]["object"]["version-id"] = version
    (upload,) = items_from_event(event)
    assert isinstance(upload, Upload)
    assert upload.version_id is None


@pytest.mark.parametrize("detail_type", ["Object Deleted", "Object Tags Added", "Object Restore Completed"])
def test_other_s3_events_are_ignored(detail_type: str) -> None:
    event = eventbridge()
    event["detail-type"] = detail_type
    (item,) = items_from_event(event)
    assert item == NotAnUpload(Outcome.IGNORED, f"{detail_type} is not an upload", BUCKET, KEY)


@pytest.mark.parametrize(
    ("event", "why"),
    [
        ({"source": "aws.ec2", "detail-type": "EC2 Instance State-change", "detail": {}}, "aws.ec2"),
        ({"Records": []}, "no event records"),
        ({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, "not an S3 event record"),
        ({"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {}}}]}, "no bucket or no key"),
        ({"source": "aws.s3", "detail-type": "Object Created", "detail": "oops"}, "no bucket or no key"),
        ({"hello": "world"}, "neither S3 event records nor an EventBridge event"),
        ([1, 2], "JSON array"),
        ("text", "JSON string"),
        (None, "JSON null"),
    ],
)
def test_anything_else_is_unrecognized_and_says_why(event: Any, why: str) -> None:
    (item,) = items_from_event(event)
    assert isinstance(item, NotAnUpload)
    assert item.outcome is Outcome.UNRECOGNIZED
    assert why in item.reason
    assert item.outcome.is_error


# --- through the handler: no AWS call for anything that is not an upload --------------------
@pytest.fixture
def no_aws(clients: tuple[Stubber, Stubber, Rollout], monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler's clients, stubbed with no responses: any AWS call fails the test."""
    s3_stub, appconfig_stub, _ = clients
    monkeypatch.setattr(handler, "deployer", lambda: stage_deployer(s3_stub.client, appconfig_stub.client))


def test_the_s3_test_event_is_ignored_with_a_log_line(no_aws: None, logs: io.StringIO) -> None:
    (result,) = handler.lambda_handler(load("s3-test-event.json"), Context())["results"]
    assert (result["outcome"], result["bucket"]) == ("ignored", EVENT_BUCKET)
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.startswith("{")]
    line = next(line for line in lines if line.get("outcome") == "ignored")
    assert line["level"] == "INFO"
    assert "S3 test event" in line["message"]


def test_an_unrecognized_event_is_an_error_line_and_is_not_retried(no_aws: None, logs: io.StringIO) -> None:
    (result,) = handler.lambda_handler({"source": "aws.ec2", "detail-type": "x"}, Context())["results"]
    assert result["outcome"] == "unrecognized"
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.startswith("{")]
    assert any(line["level"] == "ERROR" and "aws.ec2" in line["message"] for line in lines)


def test_a_copied_version_is_deployed_like_a_put(clients: tuple[Stubber, Stubber, Rollout]) -> None:
    """Restoring an older version is a copy onto the key: a new version, deployed."""
    s3_stub, appconfig_stub, rollout = clients
    s3_stub.add_response("head_object", {"VersionId": VERSION}, {"Bucket": BUCKET, "Key": KEY})
    appconfig_stub.add_response("list_deployments", {"Items": []}, IDS)
    appconfig_stub.add_response("start_deployment", deployment(7, VERSION, "DEPLOYING"))
    s3_stub.add_response("head_object", {"VersionId": VERSION}, {"Bucket": BUCKET, "Key": KEY})
    appconfig_stub.add_response("list_deployments", {"Items": [deployment(7, VERSION, "DEPLOYING")]}, IDS)
    (upload,) = items_from_event(eventbridge("CopyObject"))
    assert isinstance(upload, Upload)
    result = rollout.decide(upload)
    assert (result.outcome, result.deployment_number) == (Outcome.DEPLOYED, 7)


# --- never a traceback ---------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
SAMPLES = [
    load(name) for name in ("eventbridge-object-created.json", "s3-put-versioned.json", "s3-test-event.json")
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(event=json_values)
def test_arbitrary_json_never_raises(event: Any) -> None:
    for item in items_from_event(event):
        assert isinstance(item, Upload | NotAnUpload)


@settings(max_examples=300)
@given(sample=st.sampled_from(SAMPLES), data=st.data())
def test_real_events_with_any_field_replaced_never_raise(sample: dict[str, Any], data: st.DataObject) -> None:
    event = copy.deepcopy(sample)
    path = data.draw(st.sampled_from(_paths(event)))
    parent = event
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()):
        parent[path[-1]] = data.draw(json_values)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    for item in items_from_event(event):
        assert isinstance(item, Upload | NotAnUpload)
        if isinstance(item, Upload):
            assert isinstance(item.bucket, str)
            assert isinstance(item.key, str)
