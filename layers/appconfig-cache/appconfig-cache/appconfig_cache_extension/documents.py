"""A configuration's bytes and content type as a document: the one call the extension makes.

The rules are the project's one reading of the feature file (``appconfig_reading``, which the
layer build copies into the extension's own folder): the validator, the layer's client and this
extension read the same bytes the same way, so a flag the validator accepted is the flag served
here. YAML goes through PyYAML's C parser where the layer carries it for the running interpreter
and CPU, the pure-Python one otherwise.
"""

from __future__ import annotations

from appconfig_reading import DocumentError
from appconfig_reading import read_document as _read

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class UnreadableDocument(ValueError):
    """The bytes are not a document of their content type; ``str()`` says why, never what they hold."""


def read_document(content: bytes, content_type: str | None) -> Any:
    try:
        return _read(content, content_type).data
    except DocumentError as error:
        raise UnreadableDocument(f"the configuration cannot be read as a document: {error}") from None
    except ImportError:
        raise UnreadableDocument("YAML support is missing from this build of the layer") from None
