"""Builds anywhere: with BSD's cp (macOS), and with bytecode for every runtime the layer lists."""

from __future__ import annotations

import os
import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from localcloud.template import load
from tests.template.conftest import BSD_CP, ROOT, Build

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.template

LAYER = ROOT / "layers" / "appconfig-cache"


def _cp(*args: str, cwd: Path) -> int:
    env = {**os.environ, "PATH": f"{BSD_CP}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["cp", *args], cwd=cwd, env=env, check=False).returncode


def test_the_bsd_like_cp_exits_1_when_it_skips_a_file(tmp_path: Path) -> None:
    """What the template tier builds with: cp -n as BSD and macOS have it."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same").write_text("new")
    (tmp_path / "a" / "only-in-a").write_text("a")
    (tmp_path / "b" / "same").write_text("old")
    assert _cp("-Rn", "a/.", "c/", cwd=tmp_path) == 0  # nothing to skip
    assert _cp("-Rn", "a/.", "b/", cwd=tmp_path) == 1  # skipped "same"
    assert (tmp_path / "b" / "same").read_text() == "old"
    assert (tmp_path / "b" / "only-in-a").read_text() == "a"
    assert _cp("-R", "a/.", "b/", cwd=tmp_path) == 0


def test_the_function_and_layer_builds_ran_with_the_bsd_like_cp(built: Build) -> None:
    """The session's `sam build` (every function and the layer) succeeded with it first on PATH."""
    assert built.cp_calls, "the builds ran no cp through the BSD-like one"
    assert not [
        call for call in built.cp_calls if any(a.startswith("-") and "n" in a for a in call.split()[1:])
    ]
    for artifact in (
        "DeployFunction",
        "ValidatorFunction",
        "FlagsApiFunctionproduction",
        "OrderWorkerFunctionproduction",
    ):
        assert (built.dir / artifact).is_dir()
    assert (built.dir / "AppConfigCacheLayer" / "extensions" / "appconfig-cache").is_file()


def _runtimes() -> list[str]:
    layer = load(ROOT / "template.yaml")["Resources"]["AppConfigCacheLayer"]["Properties"]
    return [str(r) for r in layer["CompatibleRuntimes"]]


def _has_python(version: str) -> bool:
    return _make_python(version) != ""


def _make_python(version: str) -> str:
    """The interpreter lambda-build.mk finds for a version (its own lookup, run by make)."""
    script = f"include lambda-build.mk\nprint:\n\t@echo $(call python_for,{version})\n"
    result = subprocess.run(
        ["make", "-s", "-f", "-", "print"],
        input=script,
        cwd=LAYER,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def _bytecode_versions(folder: Path) -> dict[str, set[str]]:
    """Source file -> the cpython-3XY tags of its bytecode."""
    found: dict[str, set[str]] = {}
    for source in folder.rglob("*.py"):
        tags = {
            p.name.split(".")[1] for p in (source.parent / "__pycache__").glob(f"{source.stem}.cpython-*.pyc")
        }
        found[str(source.relative_to(folder))] = tags
    return found


def test_the_layer_carries_bytecode_for_every_runtime_it_lists(built: Build) -> None:
    runtimes = _runtimes()
    missing = [r for r in runtimes if not _has_python(r.removeprefix("python"))]
    if missing:
        pytest.skip(
            f"no interpreter for {missing} on this machine: the layer is built without their bytecode"
        )
    tags = {"cpython-" + r.removeprefix("python").replace(".", "") for r in runtimes}
    bytecode = _bytecode_versions(built.dir / "AppConfigCacheLayer")
    assert bytecode
    without = {source: sorted(tags - found) for source, found in bytecode.items() if not tags <= found}
    assert without == {}


def _build_layer(tmp_path: Path, template_text: str) -> subprocess.CompletedProcess[str]:
    template = tmp_path / "template.yaml"
    template.write_text(template_text)
    artifacts = tmp_path / "layer"
    artifacts.mkdir()
    return subprocess.run(
        ["make", "-s", "build-AppConfigCacheLayer", f"ARTIFACTS_DIR={artifacts}", f"TEMPLATE={template}"],
        cwd=LAYER,
        env={**os.environ, "PATH": f"{BSD_CP}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


_LAYER_RUNTIMES = re.compile(r"CompatibleRuntimes: \[python3[^\]]*\]")


@pytest.mark.skipif(not _has_python("3.12"), reason="needs python3.12 on this machine")
def test_the_layer_build_reads_its_runtimes_from_the_template(tmp_path: Path) -> None:
    source = (ROOT / "template.yaml").read_text()
    listed = _LAYER_RUNTIMES.search(source)
    assert listed, "the layer's CompatibleRuntimes line"
    result = _build_layer(tmp_path, source.replace(listed[0], "CompatibleRuntimes: [python3.12]"))
    assert result.returncode == 0, result.stderr[-2000:]
    tags = set().union(*_bytecode_versions(tmp_path / "layer").values())
    assert tags == {"cpython-312"}


def test_the_layer_build_stops_when_it_cannot_read_the_runtimes(tmp_path: Path) -> None:
    source = _LAYER_RUNTIMES.sub("", (ROOT / "template.yaml").read_text(), count=1)
    result = _build_layer(tmp_path, source)
    assert result.returncode != 0
    assert "cannot read AppConfigCacheLayer's CompatibleRuntimes" in result.stderr
