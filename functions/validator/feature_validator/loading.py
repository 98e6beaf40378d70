"""YAML text -> data by ``appconfig_reading``'s rules, with every issue a reader would differ on.

The reading is the one the consumers use (the layer's client, Powertools' store, the extension's
``?flag=``), run here with every issue itemised instead of stopping at the first. What leaves no
document (syntax, nesting, alias bombs, several documents) raises ``FeatureFileInvalid`` at once;
the other issues come back with the data PyYAML would read, so later checks can report the rest.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

from appconfig_reading.errors import DocumentError
from appconfig_reading.yaml_loader import Loaded, load_yaml

from feature_validator.errors import MAX_REPORTED, FeatureFileInvalid, from_issue

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(text: str) -> Loaded:
    """The single document as data and its issues; ``FeatureFileInvalid`` when nothing can be read."""
    try:
        return load_yaml(text, limit=MAX_REPORTED, stop=False)
    except DocumentError as error:
        raise FeatureFileInvalid([from_issue(i) for i in error.issues], error.total) from None
