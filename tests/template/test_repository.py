"""The repository's own tooling: `make help` lists every target, and the pre-commit hooks are
valid and select the files they are meant to."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.template
ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = ROOT / ".venv" / "bin" / "pre-commit"


def make_targets() -> set[str]:
    """Every rule the Makefile names by a plain word (file targets have a / or a variable)."""
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9_-]*):(?!=)", text, flags=re.MULTILINE))


def test_make_help_lists_every_target_with_what_it_does() -> None:
    shown = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    listed = dict(re.findall(r"^make (\S+)\s+(.+)$", shown, flags=re.MULTILINE))
    assert set(listed) == make_targets()
    assert all(len(what) > 5 for what in listed.values())
    assert {"test", "demo", "lint", "fmt", "lock", "lock-check", "bench"} <= set(listed)


def test_pre_commit_files_are_valid() -> None:
    subprocess.run([PRE_COMMIT, "validate-config", ".pre-commit-config.yaml"], cwd=ROOT, check=True)
    subprocess.run([PRE_COMMIT, "validate-manifest", ".pre-commit-hooks.yaml"], cwd=ROOT, check=True)


def test_the_feature_file_hook_passes_every_feature_file_but_the_broken_demo() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hook = next(h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "validate-feature-file")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    files = [f for f in tracked.stdout.splitlines() if re.search(hook["files"], f)]
    checked = [f for f in files if not re.search(hook["exclude"], f)]
    assert "feature-file.yml" in checked
    assert len(checked) == len(list((ROOT / "demo").glob("*.yml")))  # all demo files but one, and ours
    entry = hook["entry"].split()
    assert subprocess.run([*entry, *checked], cwd=ROOT, capture_output=True, check=False).returncode == 0
    excluded = sorted(set(files) - set(checked))
    assert excluded == ["demo/2-broken.yml"]
    refused = subprocess.run([*entry, *excluded], cwd=ROOT, capture_output=True, text=True, check=False)
    assert refused.returncode == 1
    assert "demo/2-broken.yml:" in refused.stdout + refused.stderr
