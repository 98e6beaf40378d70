"""Powertools' own validator is the last word, and reaching it loads neither boto3 nor botocore."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from feature_validator import loading, powertools
from feature_validator.errors import FeatureFileInvalid
from feature_validator.locate import Locator

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def test_validating_imports_neither_boto3_nor_the_feature_flags_package_init() -> None:
    code = textwrap.dedent(
        """
        import sys
        from feature_validator.validate import validate
        validate(open("feature-file.yml", "rb").read())
        assert "aws_lambda_powertools.utilities.feature_flags.schema" not in sys.modules
        loaded = [m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore")]
        assert not loaded, loaded
        # A later ordinary import gets the real package, with its __init__.
        from aws_lambda_powertools.utilities.feature_flags import FeatureFlags, SchemaValidator
        import aws_lambda_powertools.utilities.feature_flags.schema as schema
        assert SchemaValidator is schema.SchemaValidator
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": f"{ROOT / 'functions' / 'validator'}", "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


def test_what_powertools_refuses_is_refused_at_the_flag_without_its_values() -> None:
    text = textwrap.dedent(
        """\
        fine:
          default: true
        lunch:
          default: false
          rules:
            the secret rule:
              when_match: true
              conditions:
                - action: SCHEDULE_BETWEEN_TIME_RANGE
                  key: CURRENT_TIME
                  value: {START: "25:00", END: "26:00"}
        """
    )
    loaded = loading.load(text)
    with pytest.raises(FeatureFileInvalid) as refused:
        powertools.check(loaded.data, Locator(text, loaded.spans, loaded.lines))
    (problem,) = refused.value.problems
    assert (problem.path, problem.line, problem.column, problem.code) == ("$.lunch", 3, 1, "powertools")
    assert problem.message.startswith("Powertools' feature flags validator rejects this flag: ")
    assert "secret" not in problem.message
    powertools.check({"fine": {"default": True}}, Locator("fine: {default: true}\n"))
