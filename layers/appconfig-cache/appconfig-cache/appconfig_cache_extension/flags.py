"""Flags evaluated in the extension: a version's document, read and validated once, then evaluated
per request for the caller's context.

The context comes from AWS's ``Context: key=value`` request headers or an OFREP body. A caller
that names a ``targetingKey`` also gets ``rollout_bucket``: 0-99, the first 8 bytes of
SHA-256(flag name, NUL, targeting key) modulo 100. It is the same for the same user and flag in
every process and language, so a Powertools condition such as
``{action: KEY_LESS_THAN_VALUE, key: rollout_bucket, value: 10}`` is a sticky 10 % rollout by
string user IDs, and the document stays a valid Powertools document.
"""

from __future__ import annotations

import hashlib

from appconfig_cache_extension import rules
from appconfig_cache_extension.documents import read_document

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from appconfig_cache_extension.cache import Snapshot

BUCKET_KEY = "rollout_bucket"
TARGETING_KEY = "targetingKey"


class FlagError(Exception):
    """A flag request that cannot be answered: ``status`` for HTTP, ``code`` for OFREP."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Flags:
    """One version's document: any mapping for AWS's ``?flag=`` (an entry per flag), and, when it
    is a valid Powertools feature flags document, evaluated for a context."""

    __slots__ = ("document", "invalid", "now")

    def __init__(
        self, document: dict[str, Any], invalid: str | None = None, now: rules.Clock = rules.system_clock
    ) -> None:
        self.document = document
        self.invalid = invalid  # why Powertools would refuse to evaluate it, if it would
        self.now = now

    def raw(self, name: str) -> Any:
        """The flag's own entry, as AWS's agent answers ``?flag=`` without a context."""
        try:
            return self.document[name]
        except KeyError:
            raise FlagError(404, "FLAG_NOT_FOUND", f"no such flag: {name}") from None

    def evaluate(self, name: str, context: dict[str, Any]) -> rules.Evaluation:
        if self.invalid is not None:
            raise FlagError(400, "PARSE_ERROR", self.invalid)
        if name not in self.document:
            raise FlagError(404, "FLAG_NOT_FOUND", f"no such flag: {name}")
        return rules.evaluate(
            self.document, name, with_bucket(name, context), now=self.now, split_key=BUCKET_KEY
        )


def prepare(snapshot: Snapshot) -> Flags:
    """Read and validate a version (in the fetch thread); raises what a flag request is answered with."""
    try:
        document = read_document(snapshot.content, snapshot.content_type)
    except ValueError as error:
        raise FlagError(400, "PARSE_ERROR", str(error)) from None
    if not isinstance(document, dict):
        raise FlagError(400, "PARSE_ERROR", "the configuration is not a mapping of flags")
    try:
        rules.validate(document)
    except Exception as error:
        return Flags(document, f"the configuration is not a Powertools feature flags document: {error}")
    return Flags(document)


def bucket(flag: str, targeting_key: str) -> int:
    digest = hashlib.sha256(flag.encode() + b"\0" + targeting_key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def with_bucket(flag: str, context: dict[str, Any]) -> dict[str, Any]:
    targeting_key = context.get(TARGETING_KEY)
    if not isinstance(targeting_key, str):
        return context
    return {**context, BUCKET_KEY: bucket(flag, targeting_key)}


def check_context(context: dict[str, Any]) -> None:
    if BUCKET_KEY in context:
        raise FlagError(
            400, "INVALID_CONTEXT", f"{BUCKET_KEY} is derived from {TARGETING_KEY}; do not send it"
        )
