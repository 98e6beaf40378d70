"""The whole check, cheapest first: raw bytes, YAML, schema, semantics, then Powertools itself.

Each stage runs only if the one before found nothing: later stages assume what earlier ones
proved (a schema-valid shape, a bounded depth), and a file refused early never reaches the
expensive parts.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from feature_validator import guards, loading, schema, semantics
from feature_validator.errors import FeatureFileInvalid, problem_at
from feature_validator.locate import Locator

# Powertools' validator logs at debug level as it walks; it is given a logger of its own.
_POWERTOOLS_LOGGER = logging.getLogger("feature_validator.powertools")


def validate(content: bytes) -> dict[str, Any]:
    """The feature file as data, or ``FeatureFileInvalid`` with every problem located."""
    text = guards.decode(content)
    guards.check_single_document(text)
    loaded = loading.load(text)
    data = loaded.data
    locator = Locator(text, loaded.spans)
    schema.check(data, locator)
    problems = semantics.check(data, locator)
    if problems:
        raise FeatureFileInvalid(problems)
    _powertools_accepts(data)
    return data  # type: ignore[no-any-return]


def _powertools_accepts(data: dict[str, Any]) -> None:
    """The consumers' own validator must accept what we accept; it runs last, as the final word."""
    from aws_lambda_powertools.utilities.feature_flags.exceptions import SchemaValidationError
    from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "rules is empty" and the like: harmless, not errors
            SchemaValidator(data, logger=_POWERTOOLS_LOGGER).validate()
    except SchemaValidationError as error:
        message = f"Powertools' feature flags validator rejects the file: {error}"
        raise FeatureFileInvalid([problem_at((), 1, 1, message, "powertools")]) from None
