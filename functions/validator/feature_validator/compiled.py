"""The schema's fast validators: fastjsonschema's code for it, one condition validator per action.

Two costs are taken off the valid path here. Compiling: fastjsonschema writes Python for a schema
and Python compiles that, which costs more than the rest of a cold start, so the function's build
writes the code into the artifact (the package ``feature_schema_generated``, bytecode included);
it is used only while it matches the schema and fastjsonschema's version, and otherwise (a source
checkout, the command line) each part is compiled when first needed. And the conditions: the
schema gives each action its value's shape with ten ``if``/``then`` pairs, which fastjsonschema
evaluates by raising and catching an exception for every ``if`` that does not hold, nine per
condition. Since every ``if`` tests only the action, each action's conditions are checked by the
condition schema with its own ``then`` branches merged in, chosen by the action: the same verdict
(a differential test holds them to it), four to five times faster.

``python -m feature_validator.compiled DIR`` writes the package into DIR.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    Check = Callable[[Any], Any]

GENERATED = "feature_schema_generated"
SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "feature-file.schema.json")
_ANNOTATIONS = ("description", "title", "examples")


def schema() -> dict[str, Any]:
    with open(SCHEMA_FILE, encoding="utf-8") as file:
        loaded: dict[str, Any] = json.load(file)
    return loaded


def parts(whole: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schemas the fast path checks with, by name, without annotations (the generated code
    rebuilds a schema's literal for every error it raises, and a bad file raises per flag):

    - ``root``: the document's own constraints, not descending into the flags;
    - ``flag``: one flag, its conditions unchecked (each is checked on its own, below);
    - ``condition``: any condition (what refuses an unknown action, or a condition that is not
      a mapping);
    - ``action.NAME``: a condition whose action is NAME.
    """
    defs = whole["$defs"]
    root, flag = split(whole)
    found = {
        "root": root,
        "flag": {**flag, "$defs": {**defs, "condition": {}}},
        "condition": {"$schema": whole["$schema"], "$defs": defs, "$ref": "#/$defs/condition"},
    }
    condition = defs["condition"]
    for action in condition["properties"]["action"]["enum"]:
        branches = [branch["then"] for branch in condition["allOf"] if action in _actions(branch["if"])]
        own = {k: v for k, v in condition.items() if k != "allOf"} | ({"allOf": branches} if branches else {})
        found[f"action.{action}"] = {"$schema": whole["$schema"], "$defs": defs, **own}
    return {name: _bare(part) for name, part in found.items()}


def split(whole: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document's own constraints (not descending into the flags), and one flag's schema."""
    root = {k: v for k, v in whole.items() if k not in ("additionalProperties", "$defs")}
    return root, {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": "#/$defs/feature"}


def _actions(test: dict[str, Any]) -> list[str]:
    """The actions an ``if`` of the condition schema holds for; anything else it tests is refused
    here, so a schema change that breaks the premise fails loudly rather than checking less."""
    if set(test) != {"properties"} or set(test["properties"]) != {"action"}:
        raise ValueError("a condition's if tests more than its action: the fast path needs rewriting")
    action = test["properties"]["action"]
    return list(action["enum"]) if "enum" in action else [action["const"]]


class Validators:
    """The compiled parts: generated code when it matches the schema, else compiled on first use."""

    def __init__(self, whole: dict[str, Any]) -> None:
        import fastjsonschema

        self._parts = parts(whole)
        self._checks: dict[str, Check] = {}
        self.by_action: dict[str, Check] = {}  # filled as actions are met: the hot path's lookup
        try:
            generated: Any = importlib.import_module(GENERATED)
        except ImportError:
            generated = None
        self._generated = (
            generated
            if generated is not None
            and generated.VERSION == fastjsonschema.VERSION
            and self._parts == generated.PARTS
            else None
        )

    def check(self, name: str) -> Check:
        found = self._checks.get(name)
        if found is None:
            if self._generated is not None:
                module = importlib.import_module(f"{GENERATED}.{_module_name(name)}")
                found = module.validate
            else:
                import fastjsonschema

                found = fastjsonschema.compile(self._parts[name])
            self._checks[name] = found
        return found

    def condition(self, action: Any) -> Check:
        """The validator for conditions with ``action``; the generic one for an unknown action."""
        name = f"action.{action}"
        if isinstance(action, str) and name in self._parts:
            found = self.by_action[action] = self.check(name)
            return found
        return self.check("condition")


def _module_name(part: str) -> str:
    return part.replace(".", "_").lower()


def write(directory: Path) -> Path:
    import fastjsonschema

    found = parts(schema())
    package = directory / GENERATED
    package.mkdir(parents=True, exist_ok=True)
    for name, part in found.items():
        (package / f"{_module_name(name)}.py").write_text(fastjsonschema.compile_to_code(part))
    (package / "__init__.py").write_text(
        f'"""fastjsonschema {fastjsonschema.VERSION} code for the feature file schema (generated)."""\n\n'
        f"VERSION = {fastjsonschema.VERSION!r}\nPARTS = {found!r}\n"
    )
    return package


def _bare(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _bare(v) for k, v in node.items() if k not in _ANNOTATIONS}
    if isinstance(node, list):
        return [_bare(v) for v in node]
    return node


if __name__ == "__main__":
    from pathlib import Path

    print(write(Path(sys.argv[1])))
