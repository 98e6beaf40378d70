"""What a request's Signature Version 4 says about where it was sent: its credential scope.

AWS serves each Region from its own endpoint, and a client signs every request for the Region it
talks to. A local service has one endpoint for every Region, so the scope of the signature is the
only place the Region can come from, as it is for AWS's own regional endpoints:

    Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ...

https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (the credential scope,
``date/region/service/aws4_request``). Checking the signature itself is not this module's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


@dataclass(frozen=True)
class CredentialScope:
    access_key: str
    date: str
    region: str
    service: str


def credential_scope(headers: Mapping[str, str]) -> CredentialScope | None:
    """The scope of a SigV4 ``Authorization`` header; None for a request not signed that way."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    if not value.startswith("AWS4-HMAC-SHA256"):
        return None
    match = _CREDENTIAL.search(value)
    if match is None:
        return None
    return CredentialScope(*match.groups())


__all__ = ["CredentialScope", "credential_scope"]
