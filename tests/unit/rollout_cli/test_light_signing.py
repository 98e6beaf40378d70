"""The light path's requests against botocore's own, byte for byte: the same call made through
botocore's S3 and CloudFormation clients (their requests captured, not sent) and through
``rollout.light`` (its requests recorded by a scripted HTTP client), on a frozen clock with the
same credentials, must go to the same URL with the same body and the same signed headers, the
``Authorization`` header included.

Over HTTP botocore sends PutObject's body as it is, with its CRC32 in a header and the payload
signed: exactly the light path's request. Over HTTPS it streams the body ``aws-chunked`` with
the checksum as a trailer, a request of another shape; there the URL must be botocore's and the
light path's request must carry the signature botocore's own S3 signer gives it."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from appconfig_cache_extension import sigv4
from appconfig_cache_extension.aws_http import Response
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.rollout_cli.light_doubles import (
    ACCESS_KEY,
    NOW,
    SECRET_KEY,
    Checksums,
    Network,
    ScriptedHttp,
    botocore_client,
    botocore_clock,
    environment,
    light,
    our_headers,
    sent_headers,
)

pytestmark = pytest.mark.unit

STACK_XML = (
    b'<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
    b"<DescribeStacksResult><Stacks/></DescribeStacksResult></DescribeStacksResponse>"
)
# Keys as people name them, and as they should never break: spaces, non-ASCII, +, ~, %, ?, #,
# slashes (repeated, leading, trailing) and dot segments, which S3 keeps as they are.
KEYS = [
    "feature-file.yml",
    "team a/feature file.yml",
    "team-ü/fëature-文件.yml",
    "a+b/c~d.yml",
    "100%/x?y#z.yml",
    "/leading//double/slash/",
    "a/./b/../c.yml",
    "~user/=&;,$@:!*'()[]",
]
_KEY_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=30
)
_BUCKET = st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True).filter(lambda b: "--" not in b)
REGIONS = ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "ap-southeast-3"]
ENDPOINTS = [None, "http://127.0.0.1:5000", "http://localhost:4566/base"]
TOKENS = [None, "FwoGZXIvYXdzEXAMPLE//token+with/slashes="]
OUR_CREDENTIALS = sigv4.Credentials(ACCESS_KEY, SECRET_KEY)
CHECKSUMS: list[Checksums] = ["when_supported", "when_required"]


def capture(client: Any, operation: str, **params: Any) -> Any:
    """botocore's request for one call, captured instead of sent."""
    body = b""
    if operation == "describe_stacks":
        body = STACK_XML
    with botocore_clock(), Network(client, (200, {"x-amz-version-id": "v1"}, body)) as network:
        getattr(client, operation)(**params)
    (request,) = network.requests
    return request


def ours(
    operation: str, env: dict[str, str], region: str, token: str | None, **params: Any
) -> dict[str, Any]:
    body = STACK_XML if operation == "describe_stacks" else b""
    http = ScriptedHttp(Response(200, {"x-amz-version-id": "v1"}, body))
    clients = light(http, env=environment(region, token, **env))
    service = clients.cloudformation if operation == "describe_stacks" else clients.s3
    getattr(service, operation)(**params)
    (request,) = http.requests
    return request


def endpoint_env(endpoint: str | None, service: str) -> dict[str, str]:
    return {f"AWS_ENDPOINT_URL_{service}": endpoint} if endpoint else {}


def assert_same_request(theirs: Any, mine: dict[str, Any]) -> None:
    assert ScriptedHttp.full_url(mine) == theirs.url
    assert mine["method"] == theirs.method
    assert our_headers(mine) == sent_headers(theirs)
    body = theirs.body.read() if hasattr(theirs.body, "read") else theirs.body or b""
    assert mine["body"] == (body.encode() if isinstance(body, str) else body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bucket=_BUCKET,
    key=st.one_of(st.sampled_from(KEYS), _KEY_TEXT),
    body=st.binary(max_size=200),
    region=st.sampled_from(REGIONS),
    endpoint=st.sampled_from(ENDPOINTS[1:]),
    token=st.sampled_from(TOKENS),
    checksum=st.sampled_from(CHECKSUMS),
)
def test_put_object_over_http_is_botocores_request(
    *, bucket: str, key: str, body: bytes, region: str, endpoint: str, token: str | None, checksum: Checksums
) -> None:
    client = botocore_client("s3", region, endpoint, token, request_checksum=checksum)
    params = {"Bucket": bucket, "Key": key, "Body": body, "ContentType": "application/x-yaml"}
    theirs = capture(client, "put_object", **params)
    env = {**endpoint_env(endpoint, "S3"), "AWS_REQUEST_CHECKSUM_CALCULATION": checksum}
    assert_same_request(theirs, ours("put_object", env, region, token, **params))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bucket=_BUCKET,
    key=st.one_of(st.sampled_from(KEYS), _KEY_TEXT),
    region=st.sampled_from(REGIONS),
    endpoint=st.sampled_from(ENDPOINTS),
    token=st.sampled_from(TOKENS),
    checksum=st.sampled_from(CHECKSUMS),
)
def test_get_object_is_botocores_request(
    *, bucket: str, key: str, region: str, endpoint: str | None, token: str | None, checksum: Checksums
) -> None:
    client = botocore_client("s3", region, endpoint, token, response_checksum=checksum)
    theirs = capture(client, "get_object", Bucket=bucket, Key=key)
    env = {**endpoint_env(endpoint, "S3"), "AWS_RESPONSE_CHECKSUM_VALIDATION": checksum}
    assert_same_request(theirs, ours("get_object", env, region, token, Bucket=bucket, Key=key))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bucket=_BUCKET,
    key=st.one_of(st.sampled_from(KEYS), _KEY_TEXT),
    body=st.binary(max_size=200),
    region=st.sampled_from(REGIONS),
    token=st.sampled_from(TOKENS),
)
def test_put_object_over_https_goes_where_botocore_sends_it_signed_as_its_s3_signer_signs(
    *, bucket: str, key: str, body: bytes, region: str, token: str | None
) -> None:
    params = {"Bucket": bucket, "Key": key, "Body": body, "ContentType": "application/x-yaml"}
    theirs = capture(botocore_client("s3", region, None, token), "put_object", **params)
    mine = ours("put_object", {}, region, token, **params)
    assert ScriptedHttp.full_url(mine) == theirs.url
    unsigned = {
        k: v
        for k, v in mine["headers"].items()
        if k not in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
    }
    request = AWSRequest(method="PUT", url=theirs.url, headers=unsigned, data=body)
    with botocore_clock():
        S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, token), "s3", region).add_auth(request)
    assert mine["headers"]["Authorization"] == request.headers["Authorization"]
    assert mine["headers"]["X-Amz-Content-SHA256"] == request.headers["X-Amz-Content-SHA256"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stack=st.one_of(
        st.from_regex(r"[a-zA-Z][-a-zA-Z0-9]{0,40}", fullmatch=True),
        st.just("arn:aws:cloudformation:eu-west-1:123456789012:stack/my-stack/1a2b3c4d-5e6f"),
        _KEY_TEXT,
    ),
    region=st.sampled_from(REGIONS),
    endpoint=st.sampled_from([*ENDPOINTS, "https://cfn.example.com/prefix/"]),
    token=st.sampled_from(TOKENS),
)
def test_describe_stacks_is_botocores_request(
    stack: str, region: str, endpoint: str | None, token: str | None
) -> None:
    theirs = capture(
        botocore_client("cloudformation", region, endpoint, token), "describe_stacks", StackName=stack
    )
    mine = ours("describe_stacks", endpoint_env(endpoint, "CLOUDFORMATION"), region, token, StackName=stack)
    assert_same_request(theirs, mine)


@pytest.mark.parametrize("key", KEYS)
def test_the_s3_signer_signs_the_path_as_sent_where_other_services_normalise_it(key: str) -> None:
    """S3SigV4Auth against SigV4Auth on the same request: only ``normalize_path`` tells them apart."""
    path = "/bucket/" + sigv4.quote(key, sigv4.PATH_SAFE)
    url = f"https://s3.eu-west-1.amazonaws.com{path}"
    headers = {"Host": "s3.eu-west-1.amazonaws.com", "X-Amz-Content-SHA256": hashlib.sha256(b"x").hexdigest()}
    signed = {}
    for cls, normalize in ((S3SigV4Auth, False), (SigV4Auth, True)):
        request = AWSRequest(
            method="PUT",
            url=url,
            headers={"X-Amz-Content-SHA256": headers["X-Amz-Content-SHA256"]},
            data=b"x",
        )
        with botocore_clock():
            cls(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "eu-west-1").add_auth(request)
        mine = sigv4.sign(
            "PUT", "https", headers["Host"], path, "", headers, b"x", OUR_CREDENTIALS,
            "eu-west-1", "s3", now=float(NOW), normalize_path=normalize,
        )  # fmt: skip
        assert mine["Authorization"] == request.headers["Authorization"]
        signed[normalize] = mine["Authorization"]
    if key != sigv4.quote(key, sigv4.PATH_SAFE) or "/." in key or "//" in key:
        assert signed[True] != signed[False]


def test_a_payload_hash_header_is_what_the_canonical_request_carries() -> None:
    """botocore signs X-Amz-Content-SHA256's value, whatever the body: UNSIGNED-PAYLOAD included."""
    headers = {"Host": "s3.amazonaws.com", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    request = AWSRequest(
        method="PUT", url="https://s3.amazonaws.com/b/k", headers=dict(headers), data=b"body"
    )
    with botocore_clock():
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(request)
    mine = sigv4.sign(
        "PUT", "https", headers["Host"], "/b/k", "", headers, b"body", OUR_CREDENTIALS,
        "us-east-1", "s3", now=float(NOW),
    )  # fmt: skip
    assert mine["Authorization"] == request.headers["Authorization"]


def test_the_request_checksum_is_botocores_crc32() -> None:
    """A fixed vector: CRC32 of b"a: 1\\n", as botocore sent it (x-amz-checksum-crc32: 4yMZaQ==)."""
    mine = ours("put_object", {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"}, "eu-west-1", None,
                Bucket="b-1", Key="k", Body=b"a: 1\n", ContentType="application/x-yaml")  # fmt: skip
    assert mine["headers"]["x-amz-checksum-crc32"] == "4yMZaQ=="
