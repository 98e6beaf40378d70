"""Where the local sandbox's ``python3`` starts an extension: the frozen-time clock, then its script.

Lambda's launcher starts the extension as ``python3 -E -s SCRIPT NAME``, and ``-E`` rightly keeps
the function's ``PYTHONPATH`` away from it, so ``sitecustomize.py`` beside this file cannot be
loaded that way. The sandbox puts ``bin/python3`` first on the extension's PATH instead: it runs
the real interpreter, with the launcher's flags, on this file, which installs the clock and then
runs SCRIPT as the interpreter would have (its folder first on ``sys.path``, ``__main__``).
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("sitecustomize", os.path.join(_here, "sitecustomize.py"))
if _spec is None or _spec.loader is None:
    raise SystemExit(f"frozen time: cannot load {_here}/sitecustomize.py")
sys.modules["sitecustomize"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sys.modules["sitecustomize"])

_script = os.path.abspath(sys.argv[1])
sys.argv = sys.argv[1:]
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
sys.path.insert(0, os.path.dirname(_script))
runpy.run_path(_script, run_name="__main__")
