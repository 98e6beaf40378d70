"""The schema's fast validators: fastjsonschema's code for it, generated at build time.

Compiling the schema costs more than the rest of a cold start (fastjsonschema writes Python for
it and Python compiles that), so the function's build writes the code into the artifact as the
package ``feature_schema_generated`` (bytecode included), beside the schema it came from. The
code is used only while it matches the schema and fastjsonschema's version; otherwise (a source
checkout, the command line) the schema is compiled when first needed.

``python -m feature_validator.compiled DIR`` writes the package into DIR.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

GENERATED = "feature_schema_generated"
SCHEMA_FILE = Path(__file__).with_name("feature-file.schema.json")


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def parts(whole: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document's own constraints (without descending into the flags) and one flag's schema,
    both without descriptions: the generated code rebuilds a schema's literal for every error it
    raises, and a file that fails everywhere raises once per flag."""
    root = {k: v for k, v in whole.items() if k not in ("additionalProperties", "$defs")}
    flag = {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": "#/$defs/feature"}
    return _bare(root), _bare(flag)


def validators(whole: dict[str, Any]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The root and flag validators: generated ones when they match ``whole``, else compiled now."""
    import fastjsonschema

    root, flag = parts(whole)
    try:
        generated = importlib.import_module(GENERATED)
    except ImportError:
        generated = None
    if generated is not None and (
        root,
        flag,
        fastjsonschema.VERSION,
    ) == (generated.ROOT, generated.FLAG, generated.VERSION):
        return generated.root.validate, generated.flag.validate
    return fastjsonschema.compile(root), fastjsonschema.compile(flag)


def write(directory: Path) -> Path:
    import fastjsonschema

    root, flag = parts(schema())
    package = directory / GENERATED
    package.mkdir(parents=True, exist_ok=True)
    (package / "root.py").write_text(fastjsonschema.compile_to_code(root))
    (package / "flag.py").write_text(fastjsonschema.compile_to_code(flag))
    (package / "__init__.py").write_text(
        f'"""fastjsonschema {fastjsonschema.VERSION} code for the feature file schema (generated)."""\n'
        f"from {GENERATED} import flag, root\n\n"
        f"VERSION = {fastjsonschema.VERSION!r}\nROOT = {root!r}\nFLAG = {flag!r}\n"
    )
    return package


def _bare(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _bare(v) for k, v in node.items() if k not in ("description", "title")}
    if isinstance(node, list):
        return [_bare(v) for v in node]
    return node


if __name__ == "__main__":
    print(write(Path(sys.argv[1])))
