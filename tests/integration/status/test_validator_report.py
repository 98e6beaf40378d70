"""The validator leaves its problems where the deploy function reads them, for its own object only."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest
from feature_validator.errors import FeatureFileInvalid
from rollout_status.reports import read_report

if TYPE_CHECKING:
    from localcloud.testing import LocalCloud

BUCKET, KEY = "config-bucket", "feature-file.yml"
BROKEN = b"banner:\n  default: maybe\n"


class Context:
    function_name = "ValidatorFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ValidatorFunction"
    aws_request_id = "req-1"


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The handler module, imported as Lambda imports it: with the function's variables set."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout")
    from feature_validator import handler as module

    monkeypatch.setattr(module.metrics, "namespace", "ConfigRollout")
    return module


@pytest.fixture
def s3(local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch, handler: Any) -> Any:
    client = local_cloud.client("s3")
    client.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("CONFIG_BUCKET", BUCKET)
    monkeypatch.setenv("CONFIGURATIONS", KEY)  # no CONFIG_PREFIX: the keys are the names
    return client


def validate(handler: Any, uri: str, version: str = "v1") -> None:
    event = {
        "applicationId": "app1234",
        "configurationProfileId": "prof123",
        "configurationVersion": version,
        "content": base64.b64encode(BROKEN).decode(),
        "uri": uri,
    }
    with pytest.raises(FeatureFileInvalid):
        handler.lambda_handler(event, Context())


def test_a_refusal_of_our_object_leaves_its_located_problems(s3: Any, handler: Any) -> None:
    validate(handler, f"s3://{BUCKET}/{KEY}")
    problems = read_report(s3, BUCKET, KEY, "v1")
    assert problems is not None
    (problem,) = problems
    assert (problem.path, problem.line, problem.column) == ("$.banner.default", 2, 12)


def test_a_refusal_of_another_object_leaves_nothing(s3: Any, handler: Any) -> None:
    validate(handler, f"s3://{BUCKET}/someone-elses.yml")
    validate(handler, "hosted")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_a_report_that_cannot_be_written_never_turns_a_refusal_into_an_acceptance(
    s3: Any, handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIG_BUCKET", "no-such-bucket")
    validate(handler, "s3://no-such-bucket/feature-file.yml")  # still raises FeatureFileInvalid
