"""The consumers evaluate flags in the extension: importing their handlers loads no AWS SDK client
machinery, no Powertools feature-flags package and no YAML parser (each costs cold-start time and
memory the in-process alternative pays)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
ENV = {
    "APPCONFIG_APPLICATION": "a",
    "APPCONFIG_ENVIRONMENT": "e",
    "APPCONFIG_PROFILE": "p",
    "AWS_REGION": "us-east-1",
}


@pytest.mark.parametrize(
    ("folder", "module"), [("flags_api", "flags_api.handler"), ("order_worker", "order_worker.handler")]
)
def test_the_handler_imports_no_sdk_client_no_feature_flags_and_no_yaml(folder: str, module: str) -> None:
    code = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    path = [ROOT / "functions" / folder, ROOT / "layers" / "appconfig-cache" / "python"]
    loaded = set(
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code],
                env={**ENV, "PYTHONPATH": ":".join(map(str, path))},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
    )
    assert not {m for m in loaded if m.startswith("aws_lambda_powertools.utilities.feature_flags")}
    assert not {m for m in loaded if m.split(".")[0] in {"boto3", "yaml", "urllib3", "dateutil"}}
    # Powertools' own __init__ imports the botocore package (an empty shell: its user-agent hook
    # checks that botocore exists); no client, session, model loader or endpoint code comes with it.
    assert {m for m in loaded if m.startswith("botocore")} <= {"botocore"}
