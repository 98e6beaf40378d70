"""``?flag=NAME``: named entries of a feature flags document, parsed once per version.

JSON documents are parsed with the standard library; YAML ones with the pure-Python PyYAML the
layer build vendors into the extension's own folder (never the function's), imported only when
a YAML document is first asked for flags.
"""

from __future__ import annotations

import json
import threading

from appconfig_cache_extension.cache import NOT_PARSED, Snapshot

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


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
    """Parses a snapshot's document once, keeping it on the snapshot (dropped with its version)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one parse per version, even with concurrent requests

    def parsed(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` is parsed already: parsing a large YAML document takes seconds,
        so the server does it on a worker thread, never on the thread serving everyone."""
        return snapshot.document is not NOT_PARSED

    def select(self, snapshot: Snapshot, names: list[str]) -> dict[str, Any]:
        document = self._document(snapshot)
        if not isinstance(document, dict):
            raise FlagError(400, "the configuration is not a feature flags document")
        missing = [n for n in names if n not in document]
        if missing:
            raise FlagError(404, "no such flag: " + ", ".join(missing))
        return {name: document[name] for name in names}

    def _document(self, snapshot: Snapshot) -> Any:
        if snapshot.document is NOT_PARSED:
            with self._lock:
                if snapshot.document is NOT_PARSED:
                    snapshot.document = parse_document(snapshot.content, snapshot.content_type)
        return snapshot.document
