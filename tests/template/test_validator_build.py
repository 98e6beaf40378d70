"""The validator function: built with the schema from schemas/, and wired to the profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.template.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.template


def test_the_artifact_holds_the_schema_from_schemas_as_a_real_file(sam_build: Callable[[], Path]) -> None:
    artifact = sam_build() / "ValidatorFunction"
    bundled = artifact / "feature_validator" / "feature-file.schema.json"
    assert bundled.is_file()
    assert not bundled.is_symlink()
    assert bundled.read_bytes() == (ROOT / "schemas" / "feature-file.schema.json").read_bytes()
    assert (artifact / "feature_validator" / "handler.py").is_file()
    # libyaml for both architectures, so the Architecture parameter can change at deploy time.
    compiled = sorted(p.name for p in (artifact / "yaml").glob("_yaml.cpython-313-*.so"))
    assert compiled == ["_yaml.cpython-313-aarch64-linux-gnu.so", "_yaml.cpython-313-x86_64-linux-gnu.so"]
    assert (artifact / "fastjsonschema").is_dir()
    assert not (artifact / "boto3").exists()
    assert not (artifact / "requirements.in").exists()


def test_the_profile_validates_with_the_function(template: dict[str, Any]) -> None:
    profile = template["Resources"]["Profilefeaturefileyml"]["Properties"]
    validator = {"Type": "LAMBDA", "Content": {"Fn::GetAtt": ["ValidatorFunction", "Arn"]}}
    assert profile["Validators"] == [validator]


def test_appconfig_may_invoke_the_function(template: dict[str, Any]) -> None:
    permission = template["Resources"]["ValidatorInvokePermission"]["Properties"]
    assert permission == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["ValidatorFunction", "Arn"]},
        "Principal": "appconfig.amazonaws.com",
    }


def test_the_function_fits_appconfigs_time_limit_and_keeps_its_logs(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    function = resources["ValidatorFunction"]
    properties = function["Properties"]
    assert function["Metadata"] == {"BuildMethod": "makefile"}
    assert properties["Handler"] == "feature_validator.handler.lambda_handler"
    assert properties["Timeout"] < 15  # AppConfig gives a validator 15 s, start-up included
    assert properties["MemorySize"] >= 1024
    assert properties["LoggingConfig"] == {"LogGroup": {"Ref": "ValidatorFunctionLogGroup"}}
    assert resources["ValidatorFunctionLogGroup"]["Properties"]["RetentionInDays"] == 30
