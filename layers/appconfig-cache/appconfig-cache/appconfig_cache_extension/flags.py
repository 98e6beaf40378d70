"""``?flag=NAME``: named entries of a feature flags document, parsed once per version.

Documents are read by ``appconfig_reading`` (the layer build copies it into the extension's own
folder, as it does the pure-Python PyYAML it uses for YAML): the same rules as the validator and
the client, so a flag the validator accepted is the flag served here.
"""

from __future__ import annotations

import threading

from appconfig_reading import DocumentError, read_document

from appconfig_cache_extension.cache import NOT_PARSED, Snapshot

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class FlagError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_document(content: bytes, content_type: str | None) -> Any:
    """The document by the one reading's rules (``appconfig_reading``, shared with the validator
    and the client): 400 for a body that is not a document, 500 when YAML support is missing."""
    try:
        return read_document(content, content_type).data
    except DocumentError as error:
        raise FlagError(400, f"the configuration cannot be read as a document: {error}") from None
    except ImportError:
        raise FlagError(500, "YAML support is missing from this build of the layer") from None


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
