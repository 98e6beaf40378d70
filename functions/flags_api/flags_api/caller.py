"""The caller's context, from the Function URL's query string, checked before use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FIELDS = ("user", "tier", "region")
_VALUE = re.compile(r"^[A-Za-z0-9_.@:-]{1,64}$")


class BadCaller(ValueError):
    """The request's context is malformed; the caller gets 400 with this message."""


@dataclass(frozen=True)
class Caller:
    user: str
    tier: str
    region: str

    def as_context(self) -> dict[str, Any]:
        """The context FeatureFlags rules match against (condition keys)."""
        return {"user": self.user, "tier": self.tier, "region": self.region}


def caller_from_query(query: dict[str, str] | None) -> Caller:
    query = query or {}
    values: dict[str, str] = {}
    for name in FIELDS:
        value = query.get(name, "anonymous" if name == "user" else "")
        if not value:
            raise BadCaller(f"query parameter '{name}' is required")
        if not _VALUE.match(value):
            raise BadCaller(f"query parameter '{name}' must be 1-64 letters, digits or _.@:-")
        values[name] = value
    return Caller(**values)
