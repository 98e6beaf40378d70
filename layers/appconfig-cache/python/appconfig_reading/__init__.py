"""One reading of a configuration: its bytes and content type -> the document, or a located error.

The validator Lambda, the layer's client (``appconfig_cache``, Powertools' store included) and the
extension's ``?flag=`` all read configurations through ``read_document``, so a feature file is
read by one set of rules everywhere:

- the content type picks the syntax (``content``): JSON types JSON, YAML types YAML, and S3's
  ``binary/octet-stream``, ``application/octet-stream``, ``text/plain`` or no type JSON when the
  body is JSON text, YAML otherwise; any other type is refused;
- the body is UTF-8, with at most one byte order mark, at its start (``text``);
- JSON is RFC 8259 JSON (``json_text``); YAML is read from the parser's events by rules that make
  PyYAML's C and pure-Python loaders and YAML 1.2 readers agree, refusing what they would read
  differently (``yaml_loader``, ``scalars``).

Every failure is one ``DocumentError`` (a ``ValueError``) with the line and column of its first
issue; the validator uses the same passes with every issue itemised. PyYAML is imported only for
YAML, and is needed only then.

>>> read_document(b"premium: {default: false}\\n", "binary/octet-stream").data
{'premium': {'default': False}}
"""

from __future__ import annotations

from appconfig_reading.content import EITHER, JSON, YAML, syntax_for
from appconfig_reading.errors import DocumentError, Issue
from appconfig_reading.text import decode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["EITHER", "JSON", "YAML", "Document", "DocumentError", "Issue", "read_document", "syntax_for"]


class Document:
    """A configuration's data (JSON types only) and the syntax it was read in (``JSON``/``YAML``)."""

    __slots__ = ("data", "syntax")

    def __init__(self, data: Any, syntax: str) -> None:
        self.data = data
        self.syntax = syntax

    def __repr__(self) -> str:
        return f"Document({self.syntax})"


def read_document(body: bytes, content_type: str | None = None) -> Document:
    """The document ``body`` holds, read as its content type says; ``DocumentError`` otherwise."""
    syntax = syntax_for(content_type)
    text = decode(body)
    if syntax != YAML:
        from appconfig_reading.json_text import looks_like_json, read_json

        if syntax == JSON:
            return Document(read_json(text), JSON)
        if looks_like_json(text):
            try:
                return Document(read_json(text), JSON)
            except DocumentError:
                pass  # not JSON text: read as YAML
    try:
        from appconfig_reading.yaml_loader import load_yaml
    except ImportError:
        raise ImportError(
            "reading YAML configurations needs PyYAML (in the function's requirements)"
        ) from None
    return Document(load_yaml(text).data, YAML)
