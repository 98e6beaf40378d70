"""Hostile uploads are refused with a clear message, before the expensive work, and never crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from appconfig_reading.yaml_loader import MAX_DEPTH
from feature_validator.guards import MAX_CONTENT_BYTES

from tests.unit.validator.conftest import only_problem, problems_of, where

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
VALIDATOR = ROOT / "functions" / "validator"


def test_content_over_one_megabyte() -> None:
    problem = only_problem(b"#" * (MAX_CONTENT_BYTES + 1))
    assert where(problem) == ("$", 1, 1, "too-large")
    assert "1,048,577 bytes" in problem.message


def test_bytes_that_are_not_utf8_are_located() -> None:
    problem = only_problem(b"flag:\n  default: \xff\n")
    assert where(problem) == ("$", 2, 12, "not-utf8")


def test_utf16_is_not_utf8() -> None:
    assert only_problem("flag: {default: true}\n".encode("utf-16")).code == "not-utf8"


@pytest.mark.parametrize("content", [b"", b"  \n\t\n", b"# only a comment\n\n# and another\n"])
def test_empty_content(content: bytes) -> None:
    assert where(only_problem(content)) == ("$", 1, 1, "empty")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: {default: true}\n---\nb: {default: true}\n", 2),
        ("---\na: {default: true}\n---\nb: {default: true}\n", 3),
        ("a: {default: true}\n...\nb: {default: true}\n", 2),
        ("a: {default: true}\n--- {b: {default: true}}\n", 2),
    ],
)
def test_several_documents(text: str, line: int) -> None:
    assert where(only_problem(text)) == ("$", line, 1, "multiple-documents")


def test_object_building_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    target = tmp_path / "created-by-yaml"
    problem = only_problem(f"flag:\n  default: !!python/object/apply:os.mkdir ['{target}']\n")
    assert where(problem) == ("$.flag.default", 2, 12, "tag")
    assert "tag:yaml.org,2002:python/object/apply:os.mkdir is not allowed" in problem.message
    assert not target.exists()


@pytest.mark.parametrize("tag", ["!!binary aGk=", "!!set {a, b}", "!custom x", "!!omap [a: 1]"])
def test_other_non_json_tags_are_refused(tag: str) -> None:
    assert where(only_problem(f"flag:\n  default: {tag}\n")) == ("$.flag.default", 2, 12, "tag")


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    problem = only_problem(billion_laughs())
    assert where(problem) == ("$", 1, 1, "alias-bomb")
    assert "an alias bomb" in problem.message


def test_a_small_alias_bomb_is_refused_by_the_expansion_ratio() -> None:
    # 10 x 10 x 10 ... : small enough for the absolute cap, too inflated for the text it is.
    assert only_problem(billion_laughs(5)).code == "alias-bomb"


def test_a_recursive_alias_is_refused() -> None:
    problem = only_problem("flag: &loop\n  default: [*loop]\n")
    assert where(problem) == ("$.flag.default[0]", 2, 13, "alias-cycle")


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("[" * 1000, 1, MAX_DEPTH + 1),
        ("{a: " * 1000, 1, 4 * MAX_DEPTH + 1),
        ("- " * 1000 + "x", 1, 2 * MAX_DEPTH + 1),
        ("".join(f"{' ' * i}k:\n" for i in range(1000)), MAX_DEPTH + 1, MAX_DEPTH + 1),
    ],
)
def test_deep_nesting_is_refused_at_the_first_level_too_deep(text: str, line: int, column: int) -> None:
    problem = only_problem(text)
    assert (problem.line, problem.column, problem.code) == (line, column, "too-deep")
    assert problem.message == f"nesting deeper than {MAX_DEPTH} levels"


def test_control_characters_are_a_syntax_error() -> None:
    assert only_problem(b"flag:\n  default: tr\x00ue\n").code == "yaml-syntax"


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={"PYTHONPATH": str(VALIDATOR), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("unit", ["[", "{a: ", "- "])
def test_nesting_that_kills_a_libyaml_composer_leaves_the_validator_standing(
    unit: str, tmp_path: Path
) -> None:
    depth = 100_000
    hostile = tmp_path / "deep.yml"
    hostile.write_text(unit * min(depth, MAX_CONTENT_BYTES // len(unit)))
    # The control: composing it with PyYAML's C loader kills the process (SIGSEGV), no exception.
    control = _run(
        "import sys, yaml; yaml.load(open(sys.argv[1]).read(), Loader=yaml.CSafeLoader)", str(hostile)
    )
    assert control.returncode < 0, control.stderr[-500:]
    # The validator, in a process of its own, reports the problem and exits normally.
    ours = _run(
        "import sys; from feature_validator.__main__ import main; sys.exit(main(sys.argv[1:]))", str(hostile)
    )
    assert ours.returncode == 1, ours.stderr[-2000:]
    assert f"nesting deeper than {MAX_DEPTH} levels" in ours.stdout


# The seven causes of the unhandled exceptions found in 10,000 generated hostile inputs: each now
# ends as a located problem.
@pytest.mark.parametrize(
    ("text", "located"),
    [
        (
            "flag:\n  boolean_type: false\n  default: " + "7" * 4301 + "\n",
            ("$.flag.default", 3, 12, "too-many-digits"),
        ),
        ('flag:\n  boolean_type: false\n  default: !!int "abc"\n', ("$.flag.default", 3, 12, "tag-mismatch")),
        ('flag:\n  boolean_type: false\n  default: !!int ""\n', ("$.flag.default", 3, 12, "tag-mismatch")),
        ("flag:\n  boolean_type: false\n  default: !!float x\n", ("$.flag.default", 3, 12, "tag-mismatch")),
        ("flag:\n  default: !!bool maybe\n", ("$.flag.default", 2, 12, "tag-mismatch")),
        (
            "flag:\n  default: false\n  rules:\n    r:\n      when_match: true\n      conditions:\n"
            "        - {action: SCHEDULE_BETWEEN_DAYS_OF_WEEK, key: CURRENT_DAY_OF_WEEK,\n"
            "           value: {DAYS: [MONDAY], TIMEZONE: /etc/passwd}}\n",
            ("$.flag.rules.r.conditions[0].value.TIMEZONE", 8, 46, "schema-pattern"),
        ),
        (
            "flag:\n  default: &x true\n  rules:\n    r:\n      when_match: &x false\n"
            "      conditions: [{action: EQUALS, key: k, value: 1}]\nother: {default: maybe}\n",
            ("$.flag.rules.r.when_match", 5, 19, "duplicate-anchor"),
        ),
    ],
)
def test_inputs_that_used_to_crash_the_validator_are_located_problems(
    text: str, located: tuple[str, int, int, str]
) -> None:
    assert located in [where(p) for p in problems_of(text.encode())]
