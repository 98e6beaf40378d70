"""The extension's SigV4 signer against botocore's ``SigV4Auth``, over generated requests: every
header the two add must be byte-for-byte equal."""

from __future__ import annotations

import datetime
import string
from unittest import mock

import pytest
from appconfig_cache_extension import sigv4
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

# What a path or a value on the wire may hold: no controls (urlsplit drops tabs and newlines),
# no ? or # in paths. Non-ASCII, %, spaces, dots and repeated slashes all occur.
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="?#"), max_size=12)
_SEGMENT = st.one_of(_TEXT, st.sampled_from(["", ".", "..", "%2F", "a b", "~x", "%"]))
_NAME = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=10).filter(
    lambda n: n.lower() not in {"host", "authorization", "x-amz-date", "date", "x-amz-security-token"}
)
_VALUE = st.text(
    st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"], max_codepoint=0x2FF), max_size=16
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}\.){0,3}[a-zA-Z]{2,5}", fullmatch=True))
    port = draw(st.sampled_from([None, 80, 443, 4780, 8443]))
    path = "/" + "/".join(draw(st.lists(_SEGMENT, max_size=5)))
    query = sigv4.query_string(draw(st.lists(st.tuples(_TEXT, _TEXT), max_size=4)))
    headers = draw(st.dictionaries(_NAME, _VALUE, max_size=5))
    if draw(st.booleans()):
        headers["User-Agent"] = "not signed"
    return {
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "get"])),
        "scheme": scheme,
        "host": host,
        "port": port,
        "path": path,
        "query": query,
        "headers": headers,
        "body": draw(st.binary(max_size=64)),
        "access_key": draw(st.from_regex(r"A[SK]IA[A-Z0-9]{12}", fullmatch=True)),
        "secret_key": draw(st.text(string.ascii_letters + string.digits + "/+", min_size=1, max_size=40)),
        "token": draw(st.one_of(st.none(), st.text(string.ascii_letters + "/+=", min_size=1, max_size=40))),
        "region": draw(st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"])),
        "service": draw(st.sampled_from(["appconfigdata", "sts", "s3-like-name"])),
        "now": draw(st.integers(min_value=946684800, max_value=4102444800)),
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_signatures_equal_botocores(case: dict[str, object]) -> None:
    r = case
    netloc = str(r["host"]) + (f":{r['port']}" if r["port"] else "")
    url = f"{r['scheme']}://{netloc}{r['path']}" + (f"?{r['query']}" if r["query"] else "")
    headers = dict(r["headers"])  # type: ignore[call-overload]
    body = bytes(r["body"])  # type: ignore[call-overload]
    moment = datetime.datetime.fromtimestamp(int(r["now"]), datetime.UTC).replace(tzinfo=None)  # type: ignore[call-overload]
    theirs = AWSRequest(method=str(r["method"]), url=url, headers=dict(headers), data=body)
    credentials = Credentials(str(r["access_key"]), str(r["secret_key"]), r["token"])  # type: ignore[arg-type]
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):  # botocore's clock, frozen
        SigV4Auth(credentials, str(r["service"]), str(r["region"])).add_auth(theirs)

    host = sigv4.host_header(str(r["scheme"]), str(r["host"]), r["port"])  # type: ignore[arg-type]
    ours = sigv4.sign(
        str(r["method"]),
        str(r["scheme"]),
        host,
        str(r["path"]),
        str(r["query"]),
        headers,
        body,
        sigv4.Credentials(str(r["access_key"]), str(r["secret_key"]), r["token"]),  # type: ignore[arg-type]
        str(r["region"]),
        str(r["service"]),
        now=float(r["now"]),  # type: ignore[arg-type]
    )
    expected = {
        name: theirs.headers[name]
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
        if name in theirs.headers
    }
    assert ours == expected


@given(_TEXT)
def test_quote_is_urllib_quote_with_unreserved_safe(text: str) -> None:
    from urllib.parse import quote

    assert sigv4.quote(text) == quote(text, safe="-_.~")


def test_a_known_vector_from_the_sigv4_test_suite() -> None:
    """AWS's published example (get-vanilla): fixed keys and time, a known signature."""
    signed = sigv4.sign(
        "GET",
        "https",
        "example.amazonaws.com",
        "/",
        "",
        {},
        b"",
        sigv4.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        "us-east-1",
        "service",
        now=datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.UTC).timestamp(),
    )
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )
