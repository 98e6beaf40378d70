"""Shared by the template tier: the template as CloudFormation sees it, and `sam build` outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
LONGEST_STACK_NAME = "s" + "-0123456789abcdef" * 7 + "x" * 8
"""CloudFormation allows stack names of 128 characters."""


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
    """With the default parameters, its loops expanded (one configuration, one stage)."""
    from cfnlint.decode import decode  # long-form intrinsics, whatever tags the file uses

    from localcloud.cfn.language_extensions import expand

    decoded, problems = decode(str(ROOT / "template.yaml"))
    assert not problems, problems
    assert decoded is not None
    return expand(dict(decoded), {}, region="us-east-1")


BSD_CP = Path(__file__).with_name("bsd")
"""A folder whose ``cp`` behaves like BSD's and macOS's: ``-n`` exits 1 when it skips a file."""


@dataclass(frozen=True)
class Build:
    dir: Path
    cp_calls: list[str]
    """Every cp the build ran, through the BSD-like cp."""


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`sam build`, once per session, with a BSD-like cp first on PATH.

    One build serves both architectures: the functions carry both platforms' wheels and the
    architecture is a deploy-time parameter."""
    out = tmp_path_factory.mktemp("build")
    log = out.parent / "cp-calls.log"
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "PATH": f"{BSD_CP}{os.pathsep}{os.environ['PATH']}",
        "BSD_CP_LOG": str(log),
    }
    result = subprocess.run(
        [str(tool("sam")), "build", "--build-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return Build(out, log.read_text().splitlines() if log.exists() else [])


@pytest.fixture(scope="session")
def sam_build(built: Build) -> Callable[[], Path]:
    """The build directory of `sam build` (see ``built``)."""
    return lambda: built.dir


def transform(
    template: dict[str, Any] | None = None, *, stack_name: str = "config-rollout", **parameters: str
) -> dict[str, Any]:
    """The template as CloudFormation creates it: after AWS's SAM transform, for this stack name."""
    from localcloud.cfn.language_extensions import expand
    from localcloud.cfn.transform import sam_transform
    from localcloud.moto import aws_managed_policy_arns
    from localcloud.template import PSEUDO, load

    pseudo = {
        **PSEUDO,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{stack_name}/{uuid.uuid4()}",
    }
    source = template if template is not None else load(ROOT / "template.yaml")
    defaults = {k: v["Default"] for k, v in source.get("Parameters", {}).items() if "Default" in v}
    # CloudFormation runs AWS::LanguageExtensions (the loops) before the SAM transform.
    expanded = expand(source, parameters, region="us-east-1")
    transformed = sam_transform(
        expanded,
        base=ROOT,
        parameters={**defaults, **parameters, **pseudo},
        region="us-east-1",
        managed_policies=aws_managed_policy_arns,
    )
    return transformed.template
