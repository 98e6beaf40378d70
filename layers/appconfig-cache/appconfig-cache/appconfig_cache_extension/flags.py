"""``?flag=NAME``: named entries of a feature flags document, parsed once per version.

JSON documents are parsed with the standard library; YAML ones with the pure-Python PyYAML the
layer build vendors into the extension's own folder (never the function's), imported only when
a YAML document is first asked for flags.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from appconfig_cache_extension.cache import Snapshot


class FlagError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_document(content: bytes, content_type: str) -> Any:
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind.endswith(("yaml", "yml")):
        try:
            import yaml
        except ImportError:
            raise FlagError(500, "YAML support is missing from this build of the layer") from None
        try:
            return yaml.safe_load(content)
        except yaml.YAMLError:
            raise FlagError(400, "the configuration is not valid YAML") from None
    if kind.endswith("json") or kind.startswith("text/"):
        try:
            return json.loads(content)
        except ValueError:
            raise FlagError(400, "the configuration is not valid JSON") from None
    raise FlagError(400, f"flags are read from JSON or YAML documents, not {kind}")


class FlagDocuments:
    """Parsed documents keyed by snapshot (one per version); a newer version replaces older ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsed: dict[Snapshot, Any] = {}

    def select(self, snapshot: Snapshot, names: list[str]) -> dict[str, Any]:
        document = self._document(snapshot)
        if not isinstance(document, dict):
            raise FlagError(400, "the configuration is not a feature flags document")
        missing = [n for n in names if n not in document]
        if missing:
            raise FlagError(404, "no such flag: " + ", ".join(missing))
        return {name: document[name] for name in names}

    def _document(self, snapshot: Snapshot) -> Any:
        with self._lock:
            if snapshot in self._parsed:
                return self._parsed[snapshot]
        document = parse_document(snapshot.content, snapshot.content_type)
        with self._lock:
            if len(self._parsed) >= 16:
                self._parsed.clear()
            self._parsed[snapshot] = document
        return document
