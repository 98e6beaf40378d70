"""What every service hook reads off a signed request: the caller's key, Region and transport.

SigV4 carries the access key and the credential scope (date/Region/service) in the
``Authorization`` header, or in ``X-Amz-Credential`` for a presigned URL; a session's token
travels in ``X-Amz-Security-Token``.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class Signed:
    access_key_id: str
    region: str
    service: str
    session_token: str | None


def signed_by_form(form: Mapping[str, str]) -> Signed | None:
    """A browser-based POST upload's signer: its policy is signed in the form's fields, SigV4's
    ``x-amz-credential`` (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html)
    or SigV2's ``AWSAccessKeyId``, which names no Region."""
    lower = {str(k).lower(): str(v) for k, v in form.items()}
    token = lower.get("x-amz-security-token")
    parts = lower.get("x-amz-credential", "").split("/")
    if len(parts) >= 5:
        return Signed(parts[0], parts[2], parts[3], token)
    if lower.get("awsaccesskeyid"):
        return Signed(lower["awsaccesskeyid"], "", "s3", token)
    return None


def signed_by(headers: Mapping[str, str], query: str = "") -> Signed | None:
    """The request's signer, or None for an unsigned (anonymous) request."""
    lower = {k.lower(): v for k, v in headers.items()}
    authorization = lower.get("authorization", "")
    token = lower.get("x-amz-security-token")
    scope = ""
    if "Credential=" in authorization:
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].strip()
    else:
        params = parse_qs(query)
        scope = (params.get("X-Amz-Credential") or [""])[0]
        token = token or next(iter(params.get("X-Amz-Security-Token", [])), None)
    parts = scope.split("/")
    if len(parts) < 5:
        return None
    return Signed(parts[0], parts[2], parts[3], token)


def signature_matches(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_key: str,
    access_key_id: str,
    session_token: str | None,
    region: str,
    service: str,
) -> bool:
    """Recompute the request's SigV4 signature with the session's secret (as moto checks its own)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    lower = {k.lower(): v for k, v in headers.items()}
    authorization = lower.get("authorization", "")
    if "Signature=" not in authorization:
        return False
    given = authorization.split("Signature=", 1)[1].split(",", 1)[0].strip()
    signed = authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].strip().split(";")
    request = AWSRequest(
        method=method, url=path, data=body, headers={k: v for k, v in headers.items() if k.lower() in signed}
    )
    request.context["timestamp"] = lower.get("x-amz-date", "")
    auth = SigV4Auth(Credentials(access_key_id, secret_key, session_token), service, region)
    canonical = auth.canonical_request(request)
    return bool(auth.signature(auth.string_to_sign(request, canonical), request) == given)
