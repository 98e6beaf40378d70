"""A configuration's document, read by the one set of rules the validator and the extension use.

The rules live in ``appconfig_reading`` (beside this package in the layer's ``python/`` folder):
the content type picks JSON or YAML (S3's ``binary/octet-stream`` and other untyped bodies are
read as JSON when they are JSON text, as YAML otherwise), and whatever does not read as one
document raises ``DocumentError`` with its line and column. PyYAML is not in the Lambda runtime:
a function reading YAML configurations lists it in its own requirements (its C parser is used
when present); it is imported only for YAML.
"""

from __future__ import annotations

from typing import Any

from appconfig_reading import DocumentError, read_document

__all__ = ["DocumentError", "parse_document"]


def parse_document(content: bytes, content_type: str | None) -> Any:
    """The document's data; ``DocumentError`` (a ``ValueError``) when it is not one."""
    return read_document(content, content_type).data
