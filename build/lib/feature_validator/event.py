"""The AppConfig validator event: the content to check and the ids worth logging.

AWS documents ``applicationId``, ``configurationProfileId``, ``configurationVersion``, ``content``
(base64) and ``uri``; an older revision of the same page spelled them in PascalCase, so both
spellings are read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feature_validator.errors import FeatureFileInvalid, problem_at
from feature_validator.guards import MAX_CONTENT_BYTES

# Base64 of the largest allowed file, plus padding and line breaks some encoders add.
_MAX_ENCODED = (MAX_CONTENT_BYTES + 2) // 3 * 4 + 1024


class InvalidEvent(ValueError):
    """The event is not an AppConfig validation request; the deployment is refused as well."""


@dataclass(frozen=True, slots=True)
class ValidationRequest:
    content: bytes
    application_id: str | None
    profile_id: str | None
    version: str | None
    uri: str | None

    def log_keys(self) -> dict[str, str | None]:
        return {
            "applicationId": self.application_id,
            "configurationProfileId": self.profile_id,
            "configurationVersion": self.version,
        }


def _field(event: Mapping[str, Any], camel: str) -> Any:
    if camel in event:
        return event[camel]
    return event.get(camel[0].upper() + camel[1:])


def _text(event: Mapping[str, Any], camel: str) -> str | None:
    value = _field(event, camel)
    return None if value is None else str(value)


def request_from_event(event: Any) -> ValidationRequest:
    if not isinstance(event, Mapping):
        raise InvalidEvent("the event is not an object")
    encoded = _field(event, "content")
    if not isinstance(encoded, str):
        raise InvalidEvent("the event has no base64 'content' string")
    if len(encoded) > _MAX_ENCODED:
        # Refused before decoding: decoding would only confirm the file is over AppConfig's limit.
        message = (
            f"the file is over AppConfig's limit for a configuration in S3 ({MAX_CONTENT_BYTES:,} bytes)"
        )
        raise FeatureFileInvalid([problem_at((), 1, 1, message, "too-large")])
    try:
        content = base64.b64decode(encoded.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidEvent("the event's 'content' is not base64") from None
    return ValidationRequest(
        content=content,
        application_id=_text(event, "applicationId"),
        profile_id=_text(event, "configurationProfileId"),
        version=_text(event, "configurationVersion"),
        uri=_text(event, "uri"),
    )
