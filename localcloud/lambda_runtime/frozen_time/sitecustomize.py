"""Loaded (by ``thaw.py``, which the sandbox's ``bin/python3`` runs) into every Python extension
process the local Lambda sandbox starts, and into nothing that is deployed: it lets the sandbox
make time pass for a frozen environment.

In Lambda, an environment frozen between invocations is thawed later with its clocks moved on
by however long it was frozen. The sandbox cannot wait that long in a test, so
``LambdaSandbox.pass_time`` adds the seconds to an offset in the file named by
``LOCALCLOUD_FROZEN_TIME``, and ``time.monotonic`` here reads it: on thaw the extension sees the
time gone by. The wall clock (``time.time``) is left alone, so Lambda's deadlines still hold.
"""

from __future__ import annotations

import contextlib
import importlib
import mmap
import os
import struct
import sys
import time

_path = os.environ.get("LOCALCLOUD_FROZEN_TIME")
if _path:
    with open(_path, "rb") as _file:
        _offset = mmap.mmap(_file.fileno(), 8, access=mmap.ACCESS_READ)
    _real_monotonic = time.monotonic
    _real_monotonic_ns = time.monotonic_ns
    _unpack = struct.Struct("d").unpack_from

    def _seconds() -> float:
        (seconds,) = _unpack(_offset)
        return float(seconds)

    def monotonic() -> float:
        return _real_monotonic() + _seconds()

    def monotonic_ns() -> int:
        return _real_monotonic_ns() + int(_seconds() * 1e9)

    time.monotonic = monotonic
    time.monotonic_ns = monotonic_ns

# This module shadows any sitecustomize the interpreter has (a distribution's, say): load it too.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
del sys.modules[__name__]
with contextlib.suppress(ImportError):
    importlib.import_module("sitecustomize")
