"""A configuration's bytes and content type as a document: the one call the extension makes.

Every parse in the extension goes through :func:`read_document`, so the project's single
reading of the feature file (what the validator accepts is what every consumer reads) slots in
here. JSON with the standard library; YAML with PyYAML's C loader, which the layer carries for
both architectures and every runtime it lists, falling back to the pure-Python loader.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class UnreadableDocument(ValueError):
    """The bytes are not a document of their content type; ``str()`` says why, never what they hold."""


def read_document(content: bytes, content_type: str) -> Any:
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind.endswith(("yaml", "yml")):
        return _yaml(content)
    if kind.endswith("json") or kind.startswith("text/"):
        try:
            return json.loads(content)
        except ValueError:
            raise UnreadableDocument("the configuration is not valid JSON") from None
    raise UnreadableDocument(f"flags are read from JSON or YAML documents, not {kind}")


def _yaml(content: bytes) -> Any:
    try:
        import yaml
    except ImportError:
        raise UnreadableDocument("YAML support is missing from this build of the layer") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(content, Loader=loader)  # noqa: S506 - a safe loader, C or pure Python
    except yaml.YAMLError:
        raise UnreadableDocument("the configuration is not valid YAML") from None
