"""Shared by the template tier: the template as CloudFormation sees it, and `sam build` outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"


def tool(name: str) -> Path:
    """A tool from its own environment (SAM CLI, checkov), installed by `make tools`."""
    for candidate in (
        TOOLS / "sam" / "bin" / name,
        TOOLS / "checkov" / "bin" / name,
        ROOT / ".venv" / "bin" / name,
    ):
        if candidate.exists():
            return candidate
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run `make tools`")
    return Path(found)


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    from cfnlint.decode import decode  # long-form intrinsics, whatever tags the file uses

    decoded, problems = decode(str(ROOT / "template.yaml"))
    assert not problems, problems
    assert decoded is not None
    return dict(decoded)


@pytest.fixture(scope="session")
def sam_build(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """`sam build` for an architecture, once per session; returns the build directory."""
    builds: dict[str, Path] = {}

    def build(architecture: str) -> Path:
        if architecture not in builds:
            out = tmp_path_factory.mktemp(f"build-{architecture}")
            env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
            result = subprocess.run(
                [
                    str(tool("sam")),
                    "build",
                    "--build-dir",
                    str(out),
                    "--parameter-overrides",
                    f"Architecture={architecture}",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            builds[architecture] = out
        return builds[architecture]

    return build
