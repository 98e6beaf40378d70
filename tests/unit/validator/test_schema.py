"""The schema itself: valid 2020-12, in step with Powertools, every property described."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities.feature_flags.schema import ConditionsValidator, RuleAction
from feature_validator import schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tests.unit.validator.strategies import CONDITION, FLAG

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_FILE = ROOT / "schemas" / "feature-file.schema.json"


def test_the_package_reads_the_one_schema_in_schemas() -> None:
    assert Path(schema.SCHEMA_FILE).resolve() == SCHEMA_FILE.resolve()
    assert schema.schema() == json.loads(SCHEMA_FILE.read_text())


def test_the_schema_is_valid_json_schema_2020_12() -> None:
    document = json.loads(SCHEMA_FILE.read_text())
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


def test_the_actions_are_exactly_the_installed_powertools_rule_actions() -> None:
    assert sorted(schema.action_names()) == sorted(action.value for action in RuleAction)


def test_every_action_powertools_checks_the_value_of_has_a_value_shape_in_the_schema() -> None:
    shaped = set()
    for branch in schema.schema()["$defs"]["condition"]["allOf"]:
        action = branch["if"]["properties"]["action"]
        shaped.update(action.get("enum", [action.get("const")]))
    checked = {
        a.value for a in RuleAction if hasattr(ConditionsValidator, f"_validate_{a.value.lower()}_value")
    }
    assert checked <= shaped


def _properties(node: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every property definition, leaving out the tests of ``if`` (conditions, not documentation)."""
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            yield f"{path}.properties.{name}", sub
        for key, value in node.items():
            if key != "if":
                yield from _properties(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _properties(item, f"{path}[{index}]")


def test_every_property_and_definition_has_a_description() -> None:
    document = json.loads(SCHEMA_FILE.read_text())
    missing = [path for path, sub in _properties(document) if "description" not in sub and "$ref" not in sub]
    missing += [f"$defs.{name}" for name, sub in document["$defs"].items() if "description" not in sub]
    assert "description" in document
    assert missing == []


def test_the_description_records_the_top_level_decision() -> None:
    assert "top level, with no envelope" in schema.schema()["description"]


# --- the fast path against the libraries -------------------------------------------------------


def _full_flag_schema() -> dict[str, Any]:
    whole = schema.schema()
    return {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": "#/$defs/feature"}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    FLAG
    | st.builds(
        lambda c: {"default": True, "rules": {"r": {"when_match": False, "conditions": c}}},
        st.lists(CONDITION | st.none() | st.integers(), max_size=3),
    )
)
def test_the_per_action_fast_path_gives_the_schemas_verdict(flag: dict[str, Any]) -> None:
    """Checking each condition by its action's validator = fastjsonschema and jsonschema on the schema."""
    import fastjsonschema

    ours = schema._flag_ok(flag, schema._fast())
    assert ours == Draft202012Validator(_full_flag_schema()).is_valid(flag)
    try:
        _compiled_full()(flag)
    except fastjsonschema.JsonSchemaException:
        assert not ours
    else:
        assert ours


@cache
def _compiled_full() -> Any:
    import fastjsonschema

    return fastjsonschema.compile(_full_flag_schema())


def test_the_generated_code_is_what_fastjsonschema_writes_for_the_schema(tmp_path: Path) -> None:
    """What the build writes is used only while it matches; from a checkout, each part compiles."""
    import importlib
    import sys

    from feature_validator import compiled

    compiled.write(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        generated = compiled.Validators(schema.schema())
        assert generated.check("root").__module__ == f"{compiled.GENERATED}.root"
        assert generated.condition("EQUALS").__module__ == f"{compiled.GENERATED}.action_equals"
        changed = json.loads(json.dumps(schema.schema()))
        changed["minProperties"] = 2
        assert compiled.Validators(changed).check("root").__module__ != f"{compiled.GENERATED}.root"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith(compiled.GENERATED)]:
            del sys.modules[name]
        importlib.invalidate_caches()
