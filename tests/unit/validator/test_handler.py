"""The Lambda handler: both event spellings, the sample events, refusals, and logs without values."""

from __future__ import annotations

import base64
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from feature_validator.errors import FeatureFileInvalid
from feature_validator.event import InvalidEvent, request_from_event

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events"
SAMPLE = (ROOT / "feature-file.yml").read_bytes()


class Context:
    function_name = "validator"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:validator"
    aws_request_id = "request-1"


@dataclass
class Invocation:
    handler: Any
    logs: io.StringIO
    capsys: pytest.CaptureFixture[str]

    def output(self) -> str:
        """Log lines, then what was printed (Powertools Metrics prints its EMF line)."""
        return self.logs.getvalue() + self.capsys.readouterr().out


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Invocation]:
    """The handler, with its log lines (Powertools' JSON) and metrics captured as text."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "feature-validator")
    from feature_validator import handler as module

    logs = io.StringIO()
    capture = logging.StreamHandler(logs)
    capture.setFormatter(module.logger.registered_formatter)
    module.logger.addHandler(capture)
    yield Invocation(module.lambda_handler, logs, capsys)
    module.logger.removeHandler(capture)  # type: ignore[attr-defined]  # Logger passes it to logging


def event(content: bytes, *, pascal: bool = False) -> dict[str, str]:
    fields = {
        "applicationId": "app1234",
        "configurationProfileId": "prof567",
        "configurationVersion": "7",
        "content": base64.b64encode(content).decode(),
        "uri": "s3://bucket/feature-file.yml",
    }
    return {k[0].upper() + k[1:]: v for k, v in fields.items()} if pascal else fields


@pytest.mark.parametrize("pascal", [False, True])
def test_both_spellings_of_the_event_are_read(pascal: bool) -> None:
    request = request_from_event(event(SAMPLE, pascal=pascal))
    assert request.content == SAMPLE
    assert request.log_keys() == {
        "applicationId": "app1234",
        "configurationProfileId": "prof567",
        "configurationVersion": "7",
    }
    assert request.uri == "s3://bucket/feature-file.yml"


def test_the_oldest_spelling_content_and_uri_only_is_read() -> None:
    request = request_from_event({"content": base64.b64encode(SAMPLE).decode(), "uri": "hosted"})
    assert request.content == SAMPLE
    assert request.application_id is None


@pytest.mark.parametrize(
    "bad", [[], {"uri": "hosted"}, {"content": 5}, {"content": "not base64!"}, {"Content": "@@@@"}]
)
def test_events_that_are_not_validation_requests(bad: Any) -> None:
    with pytest.raises(InvalidEvent):
        request_from_event(bad)


def test_oversized_content_is_refused_before_decoding() -> None:
    with pytest.raises(FeatureFileInvalid) as raised:
        request_from_event({"content": "A" * 1_500_000})
    assert raised.value.problems[0].code == "too-large"


def test_the_valid_sample_event_passes(invoke: Invocation) -> None:
    sample = json.loads((EVENTS / "appconfig-validate-valid.json").read_text())
    assert invoke.handler(sample, Context()) is None


def test_the_invalid_sample_event_is_refused_with_every_location(invoke: Invocation) -> None:
    sample = json.loads((EVENTS / "appconfig-validate-invalid.json").read_text())
    with pytest.raises(FeatureFileInvalid) as raised:
        invoke.handler(sample, Context())
    assert [(p.line, p.column) for p in raised.value.problems] == [(2, 12), (7, 19), (18, 18), (27, 26)]
    assert str(raised.value).startswith(
        "feature file rejected, 4 problems:\n2:12: $.premium_features.default:"
    )


def test_logs_hold_locations_and_ids_never_values(invoke: Invocation) -> None:
    secret = "tenant-secret-1234"
    content = f"flag:\n  default: {secret}\n".encode()
    with pytest.raises(FeatureFileInvalid):
        invoke.handler(event(content), Context())
    logs = invoke.output()
    assert secret not in logs
    record = next(json.loads(line) for line in logs.splitlines() if "Feature file rejected" in line)
    assert record["problems"] == [{"path": "$.flag.default", "line": 2, "column": 12, "code": "schema-type"}]
    assert record["configurationVersion"] == "7"
    assert '"FeatureFileRejected"' in logs


def test_an_accepted_file_is_logged_and_counted(invoke: Invocation) -> None:
    invoke.handler(event(SAMPLE, pascal=True), Context())
    logs = invoke.output()
    assert "Feature file accepted" in logs
    assert '"FeatureFileAccepted"' in logs
    assert "premium" not in logs


def test_an_event_that_is_not_a_validation_request_counts_as_a_rejection(invoke: Invocation) -> None:
    with pytest.raises(InvalidEvent):
        invoke.handler({"uri": "hosted"}, Context())
    logs = invoke.output()
    assert '"FeatureFileRejected"' in logs
    assert '"ValidationEventInvalid"' in logs


def test_a_failure_of_the_validator_itself_refuses_the_file_and_counts_it(
    invoke: Invocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No input is known to make the validator fail (the fuzz tier looks for one); should one,
    the file is refused, counted, and neither the message nor the logs hold anything of it."""
    from feature_validator import handler

    def failing(content: bytes) -> None:
        raise KeyError("tenant-secret-1234")

    monkeypatch.setattr(handler, "validate", failing)
    with pytest.raises(handler.ValidatorFailed) as refused:
        invoke.handler(event(SAMPLE), Context())
    assert str(refused.value) == "the validator failed on this file (KeyError); it is refused"
    logs = invoke.output()
    assert "tenant-secret" not in logs
    assert '"FeatureFileRejected"' in logs
    assert '"ValidatorFailed"' in logs
    assert '"errorType":"KeyError"' in logs.replace(" ", "")
