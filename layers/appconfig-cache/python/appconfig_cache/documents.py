"""Parsing a configuration by its content type: JSON with the standard library, YAML with PyYAML.

PyYAML is not in the Lambda runtime: a function reading YAML configurations lists it in its
own requirements (its C loader is used when present). It is imported only for YAML.
"""

from __future__ import annotations

import json
from typing import Any


def parse_document(content: bytes, content_type: str) -> Any:
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind.endswith(("yaml", "yml")):
        return _yaml(content)
    if kind.endswith("json"):
        return json.loads(content)
    if kind in {"application/octet-stream", "text/plain", ""}:
        # S3-sourced configurations often come without a precise type: JSON, else YAML.
        try:
            return json.loads(content)
        except ValueError:
            return _yaml(content)
    raise ValueError(f"cannot parse a configuration of type {content_type!r} (JSON or YAML expected)")


def _yaml(content: bytes) -> Any:
    try:
        import yaml
    except ImportError:
        raise ImportError("parsing YAML configurations needs PyYAML in the function's requirements") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(content, Loader=loader)  # noqa: S506 - a safe loader, C or pure Python
