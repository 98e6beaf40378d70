"""Import a function's handler module as Lambda's Init does: with the function's variables set.

Handlers read their settings once, at import; a test that imports one gets a fresh module with
the variables it names (set only while importing), whatever an earlier test imported.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType


def init(module: str, variables: Mapping[str, str]) -> ModuleType:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        sys.modules.pop(module, None)
        return importlib.import_module(module)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
