"""The one reading in every artifact that reads configurations: the same files, never a link."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.template.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.template

SOURCE = ROOT / "layers" / "appconfig-cache" / "python" / "appconfig_reading"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.py"))}


@pytest.mark.parametrize(
    ("resource", "folder"),
    [
        ("ValidatorFunction", "appconfig_reading"),
        ("AppConfigCacheLayer", "python/appconfig_reading"),  # the client's, on the function's path
        ("AppConfigCacheLayer", "appconfig-cache/appconfig_reading"),  # the extension's own
    ],
)
def test_the_validator_the_client_and_the_extension_carry_the_one_reading(
    sam_build: Callable[[], Path], resource: str, folder: str
) -> None:
    bundled = sam_build() / resource / folder
    assert bundled.is_dir()
    assert not bundled.is_symlink()
    assert _files(bundled) == _files(SOURCE)


def test_the_validator_carries_the_schema_code_it_would_generate(sam_build: Callable[[], Path]) -> None:
    import json
    import subprocess
    import sys

    artifact = sam_build() / "ValidatorFunction"
    assert (artifact / "feature_schema_generated" / "root.py").is_file()
    # The generated code matches the schema it was built from, so a cold start uses it.
    code = (
        "import json\nfrom feature_validator import compiled\n"
        "print(json.dumps(compiled.Validators(compiled.schema())._generated is not None))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(artifact), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) is True
