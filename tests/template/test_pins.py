"""One source for each pin: requirements/pins.txt for the versions the functions, the layer, the
published pre-commit hook and the development environment share; every lock agrees with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.template
ROOT = Path(__file__).resolve().parents[2]
# What the validator imports of the packages the Lambda runtime provides (function locks leave
# those out: Makefile, LAMBDA_LOCK_FLAGS); the hook takes their versions from the development lock.
HOOK_RUNTIME_PACKAGES = {"jmespath", "python-dateutil", "six"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines: list[str]) -> dict[str, str]:
    """``name==version`` lines (comments, extras and hash continuations aside) as {name: version}."""
    found = {}
    for line in lines:
        match = re.match(r"^\s*-?\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\#]+)", line)
        if match:
            found[normalized(match[1])] = match[2]
    return found


def lock(path: Path) -> dict[str, str]:
    return pins(path.read_text().splitlines())


SHARED = pins((ROOT / "requirements" / "pins.txt").read_text().splitlines())
INPUTS = [
    *sorted((ROOT / "functions").glob("*/requirements.in")),
    *sorted((ROOT / "layers").glob("*/requirements.in")),
    *sorted((ROOT / "requirements").glob("*.in")),
]
LOCKS = [
    ROOT / "requirements" / "dev.lock",
    *sorted((ROOT / "functions").glob("*/requirements.txt")),
    *sorted((ROOT / "layers").glob("*/requirements.txt")),
]


def test_the_shared_pins_hold_powertools_and_the_yaml_and_schema_libraries() -> None:
    assert {"aws-lambda-powertools", "pyyaml", "jsonschema", "fastjsonschema"} <= set(SHARED)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_input_pins_a_shared_package_again(path: Path) -> None:
    assert not set(pins(path.read_text().splitlines())) & set(SHARED)


def test_pyproject_pins_no_shared_package_again() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert not set(pins(dev)) & set(SHARED)
    named = {normalized(re.split(r"[\[=<>~ ]", spec)[0]) for spec in dev}
    assert {"aws-lambda-powertools", "pyyaml", "jsonschema", "fastjsonschema"} <= named


@pytest.mark.parametrize("path", LOCKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_lock_has_the_shared_versions(path: Path) -> None:
    locked = lock(path)
    assert {name: locked[name] for name in SHARED if name in locked} == {
        name: version for name, version in SHARED.items() if name in locked
    }


def test_the_published_hook_pins_exactly_what_the_validator_runs_with() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    declared = pins(hook["additional_dependencies"])
    assert len(declared) == len(hook["additional_dependencies"])  # every entry is an exact pin
    validator = lock(ROOT / "functions" / "validator" / "requirements.txt")
    dev = lock(ROOT / "requirements" / "dev.lock")
    expected = {**validator, **{name: dev[name] for name in HOOK_RUNTIME_PACKAGES}}
    assert declared == expected
