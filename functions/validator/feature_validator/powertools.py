"""Powertools' own feature flags code, the last word on what consumers accept, without boto3.

``aws_lambda_powertools.utilities.feature_flags``'s ``__init__`` imports the AppConfig store, which
imports boto3: a third of a second and most of the validator's cold start, for code it never runs.
The modules it does run (``schema``: ``SchemaValidator``; ``feature_flags``: the comparison of each
rule action) import nothing of boto3. They are loaded with bare stand-ins for the packages above
them, so no package ``__init__`` runs that has not run already; then the stand-ins and everything
loaded under them leave ``sys.modules``, so a later ordinary import (a consumer's, a test's) gets
the real packages, as if this had never happened.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import logging
import os
import re
import sys
import types
import warnings
from functools import cache
from typing import TYPE_CHECKING, Any

from feature_validator.errors import FeatureFileInvalid

if TYPE_CHECKING:
    from collections.abc import Callable

    from feature_validator.locate import Locator

_TOP = "aws_lambda_powertools"
_PACKAGES = (_TOP, f"{_TOP}.utilities", f"{_TOP}.utilities.feature_flags")
_NAMED = re.compile(r",?\s*\b\w+=.*\Z", re.DOTALL)
# Powertools' validator logs at debug level as it walks; it is given a logger of its own.
_LOGGER = logging.getLogger("feature_validator.powertools")


@cache
def _modules() -> dict[str, types.ModuleType]:
    """``schema`` and ``feature_flags`` of Powertools' feature flags package, by name."""
    wanted = ("schema", "feature_flags")
    if _PACKAGES[-1] in sys.modules:  # the real package is loaded already: nothing to avoid
        return {n: importlib.import_module(f"{_PACKAGES[-1]}.{n}") for n in wanted}
    spec = importlib.util.find_spec(_TOP)
    if spec is None or spec.origin is None:
        raise ImportError("aws-lambda-powertools is not installed")
    folder = os.path.dirname(spec.origin)
    before = set(sys.modules)
    for name in _PACKAGES:
        if name not in sys.modules:
            sys.modules[name] = _stand_in(name, os.path.join(folder, *name.split(".")[1:]))
    try:
        return {n: importlib.import_module(f"{_PACKAGES[-1]}.{n}") for n in wanted}
    finally:
        for name in set(sys.modules) - before:
            if name == _TOP or name.startswith(_TOP + "."):
                del sys.modules[name]


def _stand_in(name: str, folder: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module.__spec__.submodule_search_locations = [folder]
    module.__path__ = [folder]
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module


def rule_action_mapping() -> dict[str, Callable[[Any, Any], bool]]:
    """Powertools' comparison function for each rule action."""
    mapping: dict[str, Callable[[Any, Any], bool]] = _modules()["feature_flags"].RULE_ACTION_MAPPING
    return mapping


def check(data: dict[str, Any], locator: Locator) -> None:
    """Refuse what Powertools' ``SchemaValidator`` refuses, at the flags it refuses."""
    if _refusal(data) is None:
        return
    problems = []
    for name, flag in data.items():
        reason = _refusal({name: flag})
        if reason is not None:
            message = f"Powertools' feature flags validator rejects this flag: {reason}"
            problems.append(locator.problem([], message, "powertools", at_key=name))
    if not problems:  # refused as a whole, though every flag passes alone: never seen, kept for safety
        problems.append(
            locator.problem([], "Powertools' feature flags validator rejects the file", "powertools")
        )
    raise FeatureFileInvalid(problems)


def _refusal(document: dict[str, Any]) -> str | None:
    schema = _modules()["schema"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "rules is empty" and the like: harmless, not errors
            schema.SchemaValidator(document, logger=_LOGGER).validate()
    except schema.SchemaValidationError as error:
        # Its messages end with the names and values involved ("rule=..., action=..."): not for logs.
        return _NAMED.sub("", str(error)) or "a rule it does not accept"
    except Exception as error:
        return f"its validator fails with {type(error).__name__}"
    return None
