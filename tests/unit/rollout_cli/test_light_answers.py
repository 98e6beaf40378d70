"""What the light path does with each answer, against botocore given the same answers.

Each case scripts the service's answers twice: once for the light path (its first attempt
answered by the scripted HTTP client, any later one by botocore's captured "network"), once for
a plain botocore client (every attempt from the network). The results, the errors (their text,
code and status) and the number of attempts must be the same: the light path answers what it
is sure of, and hands every other answer to botocore as botocore's own first attempt."""

from __future__ import annotations

import base64
import hashlib
import types
import zlib
from typing import TYPE_CHECKING, Any

import botocore.endpoint
import pytest
from appconfig_cache_extension.aws_http import Response
from botocore.exceptions import ClientError, FlexibleChecksumError
from rollout_status.store import StatusStore

from rollout.aws import Clients
from rollout.light import CHECKSUM_PREFERENCE
from rollout.target import TargetError, from_stack
from tests.unit.rollout_cli.light_doubles import Network, ScriptedHttp, environment, light

if TYPE_CHECKING:
    from collections.abc import Callable

    from rollout.light import LightClients

pytestmark = pytest.mark.unit

REGION = "eu-west-1"
BUCKET, KEY = "config-bucket", "team-a/feature-file.yml"
RECORD_KEY = f"{KEY}.rollout/v1.json"
Answer = tuple[int, dict[str, str], bytes]


def s3_error(code: str, message: str, **extra: str) -> bytes:
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in extra.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"{fields}<RequestId>4442587FB7D0A2F9</RequestId><HostId>host-id</HostId></Error>"
    ).encode()


def cfn_error(code: str, message: str) -> bytes:
    return (
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    ).encode()


STACKS = b"""<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackName>my-stack</StackName>
        <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/my-stack/1</StackId>
        <CreationTime>2026-11-30T10:00:00.000Z</CreationTime>
        <StackStatus>CREATE_COMPLETE</StackStatus>
        <Outputs>
          <member><OutputKey>ConfigBucketName</OutputKey><OutputValue>config-bucket</OutputValue>
            <Description>Where the file goes</Description></member>
          <member><OutputKey>ConfigObjectKey</OutputKey>
            <OutputValue>team-a/feature file &amp; more.yml</OutputValue>
            <ExportName>my-stack-key</ExportName></member>
          <member><OutputKey>Empty</OutputKey><OutputValue></OutputValue><Description/></member>
        </Outputs>
      </member>
      <member><StackName>other</StackName></member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>
</DescribeStacksResponse>"""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The process environment both sides read (botocore's fallback clients read os.environ)."""
    variables = environment(REGION)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


class Outcome:
    """A call's result or error, and how many requests went out for it."""

    def __init__(self, call: Callable[[], Any], attempts: Callable[[], int]) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        try:
            self.value = call()
        except (ClientError, FlexibleChecksumError, TargetError) as error:
            self.error = error
        self.attempts = attempts()

    @property
    def error_text(self) -> str | None:
        return None if self.error is None else str(self.error)


def both(
    env: dict[str, str],
    service: str,
    answers: list[Answer],
    call: Callable[[Any], Any],
    *,
    light_answer: Response | OSError | None = None,
) -> tuple[Outcome, Outcome, LightClients]:
    """The call through the light path and through a plain botocore client, given ``answers``
    (the light path's first attempt gets ``answers[0]``, or ``light_answer`` when given)."""
    plain = getattr(Clients(REGION), service)
    with Network(plain, *answers) as network:
        theirs = Outcome(lambda: call(plain), lambda: len(network.requests))
    first = light_answer or Response(answers[0][0], answers[0][1], answers[0][2])
    http = ScriptedHttp(first)
    clients = light(http, env=env)
    later = answers[1:] if light_answer is None else answers
    fallback = clients.botocore(service)
    with Network(fallback, *(later or [answers[-1]])) as rest:
        ours = Outcome(
            lambda: call(getattr(clients, service)), lambda: len(http.requests) + len(rest.requests)
        )
    return ours, theirs, clients


def put(s3: Any) -> Any:
    return s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"a: 1\n", ContentType="application/x-yaml")


def test_an_upload_is_answered_on_the_light_path(env: dict[str, str]) -> None:
    http = ScriptedHttp(Response(200, {"x-amz-version-id": "3HL4kq", "etag": '"e1"'}, b""))
    clients = light(http, env=env)
    assert put(clients.s3)["VersionId"] == "3HL4kq"
    assert "s3" not in vars(clients.fallback), "no botocore client was made"


@pytest.mark.parametrize(
    "answers",
    [
        [
            (503, {}, s3_error("SlowDown", "Please reduce your request rate.")),
            (200, {"x-amz-version-id": "v2"}, b""),
        ],
        [
            (500, {}, s3_error("InternalError", "We encountered an internal error.")),
            (200, {"x-amz-version-id": "v2"}, b""),
        ],
        [(503, {}, b"")] * 5,
        [(403, {}, s3_error("AccessDenied", "Access Denied"))],
        [(404, {}, s3_error("NoSuchBucket", "The specified bucket does not exist", BucketName=BUCKET))],
        [
            (400, {}, s3_error("RequestTimeout", "Your socket connection to the server was not read from")),
            (200, {"x-amz-version-id": "v2"}, b""),
        ],
        [(429, {}, b""), (200, {"x-amz-version-id": "v2"}, b"")],
        [
            (
                301,
                {"x-amz-bucket-region": "eu-central-1"},
                s3_error(
                    "PermanentRedirect",
                    "Use the right endpoint.",
                    Bucket=BUCKET,
                    Endpoint=f"{BUCKET}.s3.eu-central-1.amazonaws.com",
                ),
            ),
            (200, {"x-amz-version-id": "v2"}, b""),
        ],
    ],
    ids=[
        "throttled",
        "server-error",
        "always-503",
        "denied",
        "no-bucket",
        "request-timeout",
        "429",
        "redirect",
    ],
)
def test_an_upload_answered_otherwise_is_botocores_answer_with_botocores_attempts(
    env: dict[str, str], delays: list[float], answers: list[Answer]
) -> None:
    ours, theirs, _ = both(env, "s3", answers, put)
    assert ours.error_text == theirs.error_text
    assert (ours.value or {}).get("VersionId") == (theirs.value or {}).get("VersionId")
    assert ours.attempts == theirs.attempts, "never an upload more (or fewer) than botocore's"


def test_the_attempts_after_the_light_one_are_botocores_next_ones(
    env: dict[str, str], delays: list[float]
) -> None:
    answers: list[Answer] = [(503, {}, b"")] * 4
    http = ScriptedHttp(Response(*answers[0]))
    clients = light(http, env=env)
    with Network(clients.botocore("s3"), *answers) as network, pytest.raises(ClientError):
        put(clients.s3)
    assert [r.headers["amz-sdk-request"] for r in network.requests] == [
        b"attempt=2; max=4",
        b"attempt=3; max=4",
        b"attempt=4; max=4",
    ]
    assert len(delays) == 3


def test_a_redirect_goes_to_the_buckets_region_as_botocore_follows_it(
    env: dict[str, str], delays: list[float]
) -> None:
    moved: Answer = (301, {"x-amz-bucket-region": "eu-central-1"}, s3_error("PermanentRedirect", "Moved"))
    http = ScriptedHttp(Response(*moved))
    clients = light(http, env=env)
    with Network(clients.botocore("s3"), (200, {"x-amz-version-id": "v9"}, b"")) as network:
        assert put(clients.s3)["VersionId"] == "v9"
        (retry,) = network.requests
        assert retry.url == f"https://{BUCKET}.s3.eu-central-1.amazonaws.com/team-a/feature-file.yml"
        assert "/eu-central-1/s3/aws4_request" in retry.headers["Authorization"].decode()
        # botocore remembers the bucket's Region; the light path does not: botocore goes on.
        assert put(clients.s3)["VersionId"] == "v9"
    assert len(http.requests) == 1
    assert network.requests[1].url == retry.url


@pytest.mark.parametrize(
    "failure",
    [ConnectionRefusedError(111, "Connection refused"), TimeoutError("timed out"), OSError("reset")],
    ids=["refused", "timeout", "reset"],
)
def test_no_answer_at_all_is_retried_as_botocore_retries_it(
    env: dict[str, str], delays: list[float], failure: OSError
) -> None:
    http = ScriptedHttp(failure)
    clients = light(http, env=env)
    with Network(clients.botocore("s3"), (200, {"x-amz-version-id": "v2"}, b"")) as network:
        assert put(clients.s3)["VersionId"] == "v2"
    assert [r.headers["amz-sdk-request"] for r in network.requests] == [b"attempt=2; max=4"]


def test_the_stacks_outputs_are_read_as_botocore_reads_them(env: dict[str, str]) -> None:
    ours, theirs, _ = both(
        env, "cloudformation", [(200, {}, STACKS)], lambda cfn: cfn.describe_stacks(StackName="my-stack")
    )
    assert [(s.get("StackName"), s.get("Outputs")) for s in ours.value["Stacks"]] == [
        (s.get("StackName"), s.get("Outputs")) for s in theirs.value["Stacks"]
    ]
    clients = light(ScriptedHttp(Response(200, {}, STACKS)), env=env)
    assert from_stack(clients.cloudformation, "my-stack").keys == ("team-a/feature file & more.yml",)
    assert "cloudformation" not in vars(clients.fallback), "no botocore client was made"


@pytest.mark.parametrize(
    "answer",
    [
        (400, {}, cfn_error("ValidationError", "Stack with id no-such-stack does not exist")),
        (
            403,
            {},
            cfn_error(
                "AccessDenied",
                "User: arn:aws:iam::1:user/ci is not authorized to perform: cloudformation:DescribeStacks",
            ),
        ),
        (403, {}, cfn_error("ExpiredToken", "The security token included in the request is expired")),
    ],
    ids=["missing", "denied", "expired"],
)
def test_a_stack_lookup_refused_says_what_botocore_says(env: dict[str, str], answer: Answer) -> None:
    ours, theirs, _ = both(env, "cloudformation", [answer], lambda cfn: from_stack(cfn, "no-such-stack"))
    assert ours.error_text == theirs.error_text
    assert type(ours.error) is type(theirs.error)
    assert ours.attempts == theirs.attempts == 1


def read(s3: Any) -> Any:
    return StatusStore(s3, None, bucket=BUCKET, key=KEY).read("v1")


def test_a_record_not_written_yet_is_none_without_botocore(env: dict[str, str]) -> None:
    missing: Answer = (
        404,
        {"x-amz-request-id": "r1"},
        s3_error("NoSuchKey", "The specified key does not exist.", Key=RECORD_KEY),
    )
    ours, theirs, _ = both(env, "s3", [missing], read)
    assert ours.value == theirs.value == (None, None)
    assert ours.attempts == theirs.attempts == 1
    clients = light(ScriptedHttp(Response(*missing)), env=env)
    assert read(clients.s3) == (None, None)
    assert "s3" not in vars(clients.fallback), "no botocore client was made"


def test_the_missing_records_error_is_botocores(env: dict[str, str]) -> None:
    missing: Answer = (
        404,
        {"x-amz-request-id": "r1", "x-amz-id-2": "h1"},
        s3_error("NoSuchKey", "gone", Key=RECORD_KEY),
    )
    ours, theirs, _ = both(env, "s3", [missing], lambda s3: s3.get_object(Bucket=BUCKET, Key=RECORD_KEY))
    assert isinstance(ours.error, ClientError)
    assert isinstance(theirs.error, ClientError)
    assert str(ours.error) == str(theirs.error)
    assert ours.error.response["Error"] == theirs.error.response["Error"]
    mine, their = ours.error.response["ResponseMetadata"], theirs.error.response["ResponseMetadata"]
    assert {k: mine[k] for k in ("RequestId", "HostId", "HTTPStatusCode")} == {
        k: their[k] for k in ("RequestId", "HostId", "HTTPStatusCode")
    }


@pytest.mark.parametrize(
    ("answers", "found"),
    [
        # 403 without s3:ListBucket; the listing shows no such key: not written yet.
        (
            [
                (403, {}, s3_error("AccessDenied", "Access Denied")),
                (
                    200,
                    {},
                    b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><KeyCount>0</KeyCount></ListBucketResult>',
                ),
            ],
            "absent",
        ),
        # 403, and listing is refused too: the 403 is the caller's to see.
        (
            [
                (403, {}, s3_error("AccessDenied", "Access Denied")),
                (403, {}, s3_error("AccessDenied", "Access Denied")),
            ],
            "refused",
        ),
        ([(404, {}, s3_error("NoSuchBucket", "The specified bucket does not exist"))], "refused"),
    ],
    ids=["403-not-listed", "403-list-refused", "no-bucket"],
)
def test_a_refused_record_read_is_decided_as_with_botocore(
    env: dict[str, str], answers: list[Answer], found: str
) -> None:
    ours, theirs, _ = both(env, "s3", answers, read)
    assert ours.error_text == theirs.error_text
    assert ours.value == theirs.value
    assert ours.attempts == theirs.attempts
    assert (ours.value == (None, None)) is (found == "absent")


def test_the_checksums_and_their_order_are_botocores() -> None:
    """The order botocore prefers GetObject's checksums in, and those it computes without the CRT
    (which the light path computes too; with a CRT checksum present it hands the answer over)."""
    import botocore.httpchecksum

    internals: Any = botocore.httpchecksum  # their private tables: what the light path must match
    assert list(CHECKSUM_PREFERENCE) == internals._ALGORITHMS_PRIORITY_LIST
    assert {"crc32", "sha1", "sha256", "sha512"} == {
        name for name, cls in internals._CHECKSUM_CLS.items() if not cls.__name__.startswith("Crt")
    }


BODY = b'{"schema": 1}'


def checksum(algorithm: str, body: bytes = BODY) -> str:
    digest = (
        zlib.crc32(body).to_bytes(4, "big") if algorithm == "crc32" else hashlib.new(algorithm, body).digest()
    )
    return base64.b64encode(digest).decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"x-amz-checksum-crc32": checksum("crc32")},
        {"x-amz-checksum-crc32": checksum("crc32", b"other")},
        {"x-amz-checksum-sha256": checksum("sha256")},
        {"x-amz-checksum-sha1": checksum("sha1", b"other")},
        {"x-amz-checksum-crc32": checksum("crc32") + "-3"},  # a composite of parts: not checked
        {"x-amz-checksum-crc64nvme": "AAAAAAAAAAA="},  # needs the CRT: botocore's to check or skip
        {"x-amz-checksum-crc32c": "AAAAAA==", "x-amz-checksum-crc32": checksum("crc32", b"x")},
        {},
    ],
    ids=[
        "crc32",
        "crc32-wrong",
        "sha256",
        "sha1-wrong",
        "composite",
        "crc64nvme",
        "crc32c-and-wrong-crc32",
        "none",
    ],
)
def test_a_records_checksum_is_checked_as_botocore_checks_it(
    env: dict[str, str], headers: dict[str, str]
) -> None:
    answer: Answer = (200, {"etag": '"e"', "content-length": str(len(BODY)), **headers}, BODY)

    def body(s3: Any) -> bytes:
        return bytes(s3.get_object(Bucket=BUCKET, Key=RECORD_KEY)["Body"].read())

    ours, theirs, _ = both(env, "s3", [answer], body)
    assert ours.error_text == theirs.error_text
    assert ours.value == theirs.value
    assert ours.attempts == theirs.attempts == 1
