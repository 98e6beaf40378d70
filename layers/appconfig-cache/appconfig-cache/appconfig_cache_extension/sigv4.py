"""AWS Signature Version 4 for the extension's two AppConfigData calls and STS's AssumeRole (and
the ``rollout`` command's S3 and CloudFormation calls on its fast path).

Why not botocore's signer: ``botocore.auth`` cannot be imported alone; it brings botocore's
utilities, ``urllib3`` and ``dateutil`` (about 20 MB of resident memory and 100-200 ms, measured
by ``make bench``), which is more than the whole extension's budget. The small signing
libraries on PyPI either need Python 3.12+ (AWS's ``aws-sdk-signers``) or are unmaintained and
add headers of their own. So this module is botocore's ``SigV4Auth`` (botocore 1.44) restated on
``hashlib``/``hmac``, expression for expression, and with ``normalize_path=False`` its
``S3SigV4Auth`` (S3 signs the path as sent: neither normalised nor encoded a second time);
``tests/unit/extension/test_sigv4_differential.py`` and ``tests/unit/rollout_cli/test_light_signing.py``
sign generated requests with both and require byte-for-byte equal headers.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

ALGORITHM = "AWS4-HMAC-SHA256"
# Headers botocore leaves out of the signature (hop-by-hop ones and those proxies may change).
UNSIGNED_HEADERS = frozenset(
    {
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
PATH_SAFE = _UNRESERVED | {ord("/")}
"""RFC 3986's unreserved characters and ``/``: what a path keeps unencoded."""


class Credentials:
    __slots__ = ("access_key", "expires_at", "secret_key", "token")

    def __init__(
        self, access_key: str, secret_key: str, token: str | None = None, expires_at: float | None = None
    ) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token or None
        self.expires_at = expires_at  # epoch seconds; None: does not expire


def quote(text: str, safe: frozenset[int] = _UNRESERVED) -> str:
    """``urllib.parse.quote(text, safe='-_.~')`` (RFC 3986 unreserved characters kept)."""
    return "".join(chr(b) if b in safe else f"%{b:02X}" for b in text.encode("utf-8"))


def query_string(params: Iterable[tuple[str, str]]) -> str:
    """A query string encoded as botocore's serializers encode it."""
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in params)


def sign(  # noqa: PLR0917 - the parts of a request, as SigV4 defines them
    method: str,
    scheme: str,
    host: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    *,
    now: float | None = None,
    normalize_path: bool = True,
) -> dict[str, str]:
    """The headers to add: ``X-Amz-Date``, ``X-Amz-Security-Token`` (with a session token) and
    ``Authorization``. ``host`` is the Host header's value (see :func:`host_header`); ``path``
    and ``query`` are as sent on the wire. ``normalize_path=False`` is S3's rule: the path is
    signed as sent ("Task 1: Create a canonical request",
    https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html). An
    ``X-Amz-Content-SHA256`` header, which S3 requires, is the payload's hash in the canonical
    request (botocore's rule, whatever the service)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    added = {"X-Amz-Date": stamp}
    if credentials.token:
        added["X-Amz-Security-Token"] = credentials.token
    # botocore replaces these before signing (a Date header would make it sign Date instead).
    replaced = {"authorization", "x-amz-date", "date"} | (
        {"x-amz-security-token"} if credentials.token else set()
    )
    signed: dict[str, list[str]] = {}
    for name, value in headers.items():
        lname = name.lower()
        if lname not in UNSIGNED_HEADERS and lname not in replaced:
            signed.setdefault(lname, []).append(value)
    for name, value in added.items():
        signed.setdefault(name.lower(), []).append(value)
    if "host" not in signed:
        signed["host"] = [host]
    # botocore's test is on its own case-insensitive headers: any spelling counts.
    payload_hash = next((v for n, v in headers.items() if n.lower() == "x-amz-content-sha256"), None)
    names = sorted(signed)
    canonical_headers = "\n".join(f"{n}:{','.join(' '.join(v.split()) for v in signed[n])}" for n in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        (
            method.upper(),
            quote(_remove_dot_segments(path), PATH_SAFE) if normalize_path else path,
            _canonical_query(query),
            canonical_headers + "\n",
            signed_headers,
            hashlib.sha256(body).hexdigest() if payload_hash is None else payload_hash,
        )
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        (ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest())
    )
    key = ("AWS4" + credentials.secret_key).encode()
    for part in (stamp[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    added["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return added


def host_header(scheme: str, hostname: str, port: int | None) -> str:
    """The Host value botocore signs: lower-case, bracketed IPv6, the port unless it is the default."""
    host = hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    return host


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = []
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        pairs.append((key, value))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, and consecutive slashes collapsed, as AWS services expect."""
    if not path:
        return "/"
    output: list[str] = []
    for segment in path.split("/"):
        if segment and segment != ".":
            if segment == "..":
                if output:
                    output.pop()
            else:
                output.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and output else ""
    return first + "/".join(output) + last
