"""The command line: compiler-style lines, exit 0 valid, 1 invalid, 2 unreadable; `make validate`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from feature_validator.__main__ import main

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "feature-file.yml"
BROKEN = "flag:\n  default: maybe\n  default: true\n"


def test_a_valid_file_exits_0_silently(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SAMPLE)]) == 0
    assert capsys.readouterr().out == ""


def test_an_invalid_file_prints_path_line_column_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    assert main([str(broken)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{broken}:3:3: $.flag.default: duplicate key: first at line 2, again at line 3 (YAML loaders keep "
        "the last value silently)"
    ]


def test_an_unreadable_file_exits_2_and_wins_over_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    assert main([str(SAMPLE), str(broken), str(tmp_path / "missing.yml")]) == 2
    assert "missing.yml: cannot read: No such file or directory" in capsys.readouterr().err


def test_a_directory_is_unreadable(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 2


def test_without_arguments_it_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_the_module_entry_point_in_a_fresh_process(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "feature_validator", str(SAMPLE), str(broken)],
        env={"PYTHONPATH": str(ROOT / "functions" / "validator"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"{broken}:3:3: $.flag.default: duplicate key")


@pytest.mark.parametrize(("content", "status"), [(None, 0), (BROKEN, 2)])
def test_make_validate(tmp_path: Path, content: str | None, status: int) -> None:
    target = SAMPLE
    if content is not None:
        target = tmp_path / "broken.yml"
        target.write_text(content)
    result = subprocess.run(
        ["make", "--no-print-directory", "validate", f"FILE={target}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # make turns the validator's exit 1 into its own exit 2; the output is the validator's.
    assert result.returncode == status, result.stdout + result.stderr
    if content is not None:
        assert f"{target}:3:3: $.flag.default: duplicate key" in result.stdout
