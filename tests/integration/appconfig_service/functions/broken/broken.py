"""Fails at import, as a function with a missing dependency does."""

from typing import Any

import a_module_that_does_not_exist  # type: ignore[import-not-found]  # noqa: F401


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    return None
