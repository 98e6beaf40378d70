"""The files the validator used to accept that consumers read differently, or could not read.

Each is now refused by the validator with its line:column, and the consumers (the layer's client,
Powertools' store, the extension's ``?flag=``) either read it as the validator would or fail with
their own error. A file uploaded without a content type (S3 stores ``binary/octet-stream``) is
read like one typed YAML.
"""

from __future__ import annotations

import json

import pytest
from appconfig_cache.client import Configuration
from appconfig_cache_extension.cache import Snapshot
from appconfig_cache_extension.flags import FlagError, prepare
from appconfig_reading import DocumentError, read_document
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags
from aws_lambda_powertools.utilities.feature_flags.exceptions import ConfigurationStoreError

from tests.unit.reading.readers import UNTYPED, YAML_TYPES, _ServedAs, readings
from tests.unit.validator.conftest import only_problem, where

pytestmark = pytest.mark.unit

SAMPLE = b"premium:\n  default: false\n  rules:\n    tier:\n      when_match: true\n      conditions:\n" + (
    b"        - {action: EQUALS, key: tier, value: premium}\n"
)


def flags(body: bytes, content_type: str | None) -> FeatureFlags:
    from appconfig_cache.feature_flags import ExtensionStore

    return FeatureFlags(store=ExtensionStore("app", "env", "p", client=_ServedAs(body, content_type)))


# --- duplicate anchors ---------------------------------------------------------------------------


DUPLICATE_ANCHORS = b"a:\n  default: &x true\nb:\n  default: &x false\n"


def test_a_duplicate_anchor_is_refused_at_its_second_use() -> None:
    problem = only_problem(DUPLICATE_ANCHORS)
    assert where(problem) == ("$.b.default", 4, 12, "duplicate-anchor")


def test_a_duplicate_anchor_reaches_powertools_as_its_own_error() -> None:
    with pytest.raises(ConfigurationStoreError, match="4:12"):
        flags(DUPLICATE_ANCHORS, "application/x-yaml").get_configuration()


def test_a_duplicate_anchor_is_a_400_from_flag() -> None:
    snapshot = Snapshot(DUPLICATE_ANCHORS, "application/x-yaml", "e1")
    with pytest.raises(FlagError) as refused:
        prepare(snapshot).raw("a")
    assert refused.value.status == 400
    assert "4:12" in str(refused.value)


# --- byte order marks ----------------------------------------------------------------------------


def test_one_leading_byte_order_mark_is_read_by_everyone_alike() -> None:
    outcomes = set(readings(b"\xef\xbb\xbf" + SAMPLE).values())
    assert len(outcomes) == 1
    assert next(iter(outcomes)).document is not None


def test_two_byte_order_marks_are_refused_at_the_second() -> None:
    problem = only_problem("\ufeff\ufeffpremium: {default: true}\n".encode())
    assert where(problem) == ("$", 1, 1, "invisible-character")
    assert "byte order mark" in problem.message


def test_a_byte_order_mark_after_a_line_break_is_refused_where_it_is() -> None:
    text = "# the feature flags\n\ufeffpremium:\n  default: true\n"
    problem = only_problem(text.encode())
    assert where(problem) == ("$", 2, 1, "invisible-character")
    # libyaml skips it, PyYAML's pure-Python parser keeps it: the flag "premium" or "\ufeffpremium".
    outcomes = readings(text.encode())
    assert outcomes["yaml.safe_load (libyaml)"].document == "{'premium': {'default': True}}"
    assert outcomes["yaml.safe_load (pure Python)"].document == "{'\\ufeffpremium': {'default': True}}"


# --- content types -------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [*UNTYPED, *YAML_TYPES])
def test_every_consumer_reads_an_untyped_or_yaml_upload_as_the_validator_does(
    content_type: str | None,
) -> None:
    expected = {
        "premium": {
            "default": False,
            "rules": {
                "tier": {
                    "when_match": True,
                    "conditions": [{"action": "EQUALS", "key": "tier", "value": "premium"}],
                }
            },
        }
    }
    assert read_document(SAMPLE, content_type).data == expected
    assert Configuration(SAMPLE, content_type or "").document == expected
    assert {"premium": prepare(Snapshot(SAMPLE, content_type or "", "e1")).raw("premium")} == expected
    assert flags(SAMPLE, content_type).evaluate(name="premium", context={"tier": "premium"}, default=False)


def test_an_untyped_json_body_is_read_as_json() -> None:
    body = b'{"premium": {"default": true}}'
    for content_type in UNTYPED:
        document = read_document(body, content_type)
        assert (document.syntax, document.data) == ("json", {"premium": {"default": True}})


@pytest.mark.parametrize("content_type", ["image/png", "text/html", "application/x-www-form-urlencoded"])
def test_a_type_that_is_neither_json_nor_yaml_is_refused_alike(content_type: str) -> None:
    with pytest.raises(DocumentError, match="neither JSON nor YAML"):
        Configuration(SAMPLE, content_type).document  # noqa: B018 - the property reads it
    with pytest.raises(FlagError) as refused:
        prepare(Snapshot(SAMPLE, content_type, "e1")).raw("premium")
    assert refused.value.status == 400
    with pytest.raises(ConfigurationStoreError):
        flags(SAMPLE, content_type).get_configuration()


# --- JSON text that JSON and YAML read differently ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "code"),
    [
        ('{"premium": {"boolean_type": false, "default": 1E5}}', 48, "yaml12-number"),
        ('{"premium": {"boolean_type": false, "default": NaN}}', 48, "not-json-number"),
        ('{"premium": {"boolean_type": false, "default": Infinity}}', 48, "not-json-number"),
        ('{"premium": {"boolean_type": false, "default": "x\x85y"}}', 50, "invisible-character"),
    ],
)
def test_json_text_that_json_and_yaml_read_differently_is_refused(text: str, column: int, code: str) -> None:
    body = text.encode()
    outcomes = readings(body)
    assert outcomes["json.loads"] != outcomes["yaml.safe_load (libyaml)"]
    assert where(only_problem(body)) == (
        "$" if code != "yaml12-number" else "$.premium.default",
        1,
        column,
        code,
    )


def test_json_text_both_read_alike_is_valid_as_json_and_as_yaml() -> None:
    body = json.dumps({"premium": {"boolean_type": False, "default": {"ratio": 1.5e-3, "n": -2}}}).encode()
    assert len(set(readings(body).values())) == 1
