"""``rollout push``'s three calls without botocore: DescribeStacks, PutObject, the record's GetObject.

A person or a CI job waits for ``push --wait``, and botocore's import and two client models cost
more than the rest of the command. These calls go out signed by the extension's SigV4 signer
(``appconfig_cache_extension.sigv4``) over its HTTP client (``aws_http``), to the endpoint
botocore would use: ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_CLOUDFORMATION`` /
``AWS_ENDPOINT_URL`` ("Service-specific endpoints",
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), path-style as
botocore addresses a configured endpoint, else the Region's (S3 virtual-hosted, us-east-1 on
the global endpoint unless ``AWS_S3_US_EAST_1_REGIONAL_ENDPOINT=regional``).

Only what the light path is sure to answer as botocore would is answered here: a 2xx, and for
the record a 404 ``NoSuchKey`` (its status, not its wording, is what the caller reads). Any
other answer - an error, a redirect to the bucket's Region, a throttle, a connection that
failed - is handed to a botocore client *as its own first attempt* (injected through its
documented ``before-send`` event), so botocore parses it, raises its own error or retries with
its standard policy (3 retries after it, as the command's configuration says), follows S3's
redirect: every message, exit code and retry is botocore's, and a PutObject is never sent more
often than botocore would send it. From then on botocore makes that service's calls (its client
remembers what it learnt, a bucket's Region). ``rollout.light_settings`` decides when the light
path is taken at all.

S3 differences from other services' SigV4, as botocore applies them: the path is signed as sent,
and ``X-Amz-Content-SHA256`` carries the payload's hash. PutObject sends the CRC32 that
botocore computes by default (``x-amz-checksum-crc32``), as a header: botocore sends it as a
trailer of an ``aws-chunked`` body over HTTPS (it streams bodies of unknown length) and as this
same header over HTTP; S3 stores the same checksum either way. GetObject asks for the stored
checksum (``x-amz-checksum-mode: ENABLED``) and checks it as botocore does (flexible checksums,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import threading
import time
import zlib
from urllib.parse import urlencode

from appconfig_cache_extension import sigv4
from appconfig_cache_extension.aws_http import HttpClient, Response, Url
from appconfig_cache_extension.endpoints import configured_endpoint, endpoint_url, partition

from rollout.light_settings import CONNECT_TIMEOUT, READ_TIMEOUT, Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    from rollout.aws import Clients

USER_AGENT = "s3-appconfig-rollout/0.1.0 (rollout push)"
CLOUDFORMATION_VERSION = "2010-05-15"
# Plain bucket names, which botocore addresses by name in the host on AWS; others (dots, capitals,
# access points, directory buckets ``--x-s3``, ``--xa-s3``, outposts ``--op-s3``) are botocore's.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_SPECIAL_SUFFIXES = ("--x-s3", "--xa-s3", "--op-s3")
# GetObject's response algorithms in botocore's order of preference (httpchecksum.py); the light
# path computes the ones hashlib and zlib have, and leaves the others (which need the CRT) to
# botocore.
CHECKSUM_PREFERENCE = (
    "xxhash128",
    "xxhash3",
    "crc64nvme",
    "xxhash64",
    "crc32c",
    "crc32",
    "sha1",
    "sha256",
    "sha512",
)
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class ResponseBody(io.BytesIO):
    """A response body (botocore's ``StreamingBody`` has ``read`` too)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        """What botocore's ``AWSResponse`` reads a raw response with."""
        yield self.read()


class LightClients:
    """``s3`` and ``cloudformation`` answer the calls of ``push`` on the light path; every other
    call, and ``appconfig`` and ``sqs``, goes to botocore clients made when first needed."""

    def __init__(
        self,
        settings: Settings,
        fallback: Clients,
        *,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.fallback = fallback
        self._http = http or HttpClient(
            timeout=READ_TIMEOUT,
            connect_timeout=CONNECT_TIMEOUT,
            max_idle=4,
            ca_bundle=settings.ca_bundle or default_ca_bundle(),
            user_agent=USER_AGENT,
        )
        self._clock = clock
        self._lock = threading.Lock()
        self._taken_over: set[str] = set()
        self.s3 = LightS3(self)
        self.cloudformation = LightCloudFormation(self)

    @property
    def appconfig(self) -> Any:
        return self.botocore("appconfig")

    @property
    def sqs(self) -> Any:
        return self.botocore("sqs")

    def botocore(self, service: str) -> Any:
        """The botocore client of ``service`` (the DescribeStacks thread may ask while the main
        thread does, hence the lock)."""
        with self._lock:
            return getattr(self.fallback, service)

    def taken_over(self, service: str) -> bool:
        """Whether botocore already answered a call of ``service`` for the light path: it then
        makes the later ones too, having perhaps learnt what the light path does not keep (the
        bucket's Region after a redirect, which its client remembers)."""
        return service in self._taken_over

    def send(  # noqa: PLR0917 - the parts of a request, as SigV4 defines them
        self,
        service: str,
        method: str,
        url: Url,
        path: str,
        headers: dict[str, str],
        body: bytes = b"",
        *,
        normalize_path: bool = True,
    ) -> Response | OSError:
        """One signed exchange; the response, or the error that prevented one."""
        host = sigv4.host_header(url.scheme, url.host, url.explicit_port)
        headers = {"Host": host, **headers}
        headers.update(
            sigv4.sign(
                method, url.scheme, host, path, "", headers, body, self.settings.credentials(),
                self.settings.region, service, now=self._clock(), normalize_path=normalize_path,
            )
        )  # fmt: skip
        try:
            return self._http.request(method, url, path, headers, body)
        except OSError as error:
            return error

    def handed_over(self, service: str, operation: str, outcome: Response | OSError, **params: Any) -> Any:
        """botocore's answer to ``operation(**params)``, with ``outcome`` as its first attempt."""
        client = self.botocore(service)
        self._taken_over.add(service)
        with first_attempt(client, operation, outcome):
            return getattr(client, _snake(operation))(**params)


class LightS3:
    """The S3 calls of ``push`` and of reading a version's record (``StatusStore.read``)."""

    def __init__(self, clients: LightClients) -> None:
        self._clients = clients

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> dict[str, Any]:
        params = {"Bucket": Bucket, "Key": Key, "Body": Body, "ContentType": ContentType}
        location = s3_location(Bucket, Key, self._clients.settings)
        if location is None or self._clients.taken_over("s3"):
            return dict(self._clients.botocore("s3").put_object(**params))
        url, path = location
        headers = {"Content-Type": ContentType, "X-Amz-Content-SHA256": hashlib.sha256(Body).hexdigest()}
        if self._clients.settings.request_checksum == "when_supported":
            headers["x-amz-checksum-crc32"] = _crc32(Body)
            headers["x-amz-sdk-checksum-algorithm"] = "CRC32"
        outcome = self._clients.send("s3", "PUT", url, path, headers, Body, normalize_path=False)
        if isinstance(outcome, Response) and 200 <= outcome.status < 300:
            return _object_fields(outcome)
        return dict(self._clients.handed_over("s3", "PutObject", outcome, **params))

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        location = s3_location(Bucket, Key, self._clients.settings)
        if location is None or self._clients.taken_over("s3"):
            return dict(self._clients.botocore("s3").get_object(Bucket=Bucket, Key=Key))
        url, path = location
        headers = {"X-Amz-Content-SHA256": _EMPTY_SHA256}
        validate = self._clients.settings.response_checksum == "when_supported"
        if validate:
            headers["x-amz-checksum-mode"] = "ENABLED"
        outcome = self._clients.send("s3", "GET", url, path, headers, normalize_path=False)
        if isinstance(outcome, Response):
            if 200 <= outcome.status < 300 and (not validate or checksum_computable(outcome.headers)):
                if validate:
                    check_checksum(outcome.headers, outcome.body)
                return {**_object_fields(outcome), "Body": ResponseBody(outcome.body)}
            if outcome.status == 404 and _error_code(outcome.body) == "NoSuchKey":
                raise no_such_key(outcome)
        return dict(self._clients.handed_over("s3", "GetObject", outcome, Bucket=Bucket, Key=Key))

    def list_objects_v2(self, **params: Any) -> dict[str, Any]:
        """botocore's (``StatusStore`` lists only after S3 answered 403)."""
        return dict(self._clients.botocore("s3").list_objects_v2(**params))


class LightCloudFormation:
    """DescribeStacks, for the stack's outputs (``rollout.target.from_stack``)."""

    def __init__(self, clients: LightClients) -> None:
        self._clients = clients

    def describe_stacks(self, *, StackName: str) -> dict[str, Any]:
        """``Stacks`` with each stack's ``StackName`` and ``Outputs`` (what ``from_stack`` reads)."""
        settings = self._clients.settings
        url = usable_endpoint(endpoint_url("cloudformation", settings.region, settings.env))
        if url is None or self._clients.taken_over("cloudformation"):
            return dict(self._clients.botocore("cloudformation").describe_stacks(StackName=StackName))
        body = urlencode(
            [("Action", "DescribeStacks"), ("Version", CLOUDFORMATION_VERSION), ("StackName", StackName)]
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        outcome = self._clients.send("cloudformation", "POST", url, url.path or "/", headers, body)
        if isinstance(outcome, Response) and 200 <= outcome.status < 300:
            stacks = stacks_of(outcome.body)
            if stacks is not None:
                return {"Stacks": stacks}
        return dict(
            self._clients.handed_over("cloudformation", "DescribeStacks", outcome, StackName=StackName)
        )


# ---------------------------------------------------------------------- where requests go
def s3_location(bucket: str, key: str, settings: Settings) -> tuple[Url, str] | None:
    """The endpoint and path botocore sends an object request to; None when it must decide."""
    if not _BUCKET.fullmatch(bucket) or bucket.endswith(_SPECIAL_SUFFIXES):
        return None
    path = "/" + sigv4.quote(key, sigv4.PATH_SAFE)  # what botocore leaves unencoded in a key
    configured = configured_endpoint("S3", settings.env)
    if configured:
        # botocore forces path-style addressing on a configured endpoint (its args.py, for
        # compatibility with its rule-less days), after the endpoint's own path.
        url = usable_endpoint(configured)
        if url is None:
            return None
        prefix = url.path if url.path.endswith("/") else url.path + "/"
        return url, f"{prefix}{bucket}{path}"
    region = settings.region
    if region == "us-east-1" and not settings.us_east_1_regional:
        return Url(f"https://{bucket}.s3.amazonaws.com"), path
    return Url(f"https://{bucket}.s3.{region}.{partition(region)[1]}"), path


def usable_endpoint(text: str) -> Url | None:
    """A configured endpoint the light path sends to as botocore would: ``scheme://host[:port][/path]``
    in ASCII. Anything else (a query, credentials, characters to encode) is botocore's to use or
    refuse with its own error."""
    if not text.isascii() or any(c in text for c in "?#@ \\") or "%" in text:
        return None
    try:
        return Url(text)
    except ValueError:
        return None


def default_ca_bundle() -> str | None:
    """The bundle botocore verifies HTTPS with when none is configured: certifi's if installed,
    else the one botocore ships."""
    try:
        import certifi
    except ImportError:
        from importlib.util import find_spec

        spec = find_spec("botocore")
        locations = spec.submodule_search_locations if spec else None
        return f"{next(iter(locations))}/cacert.pem" if locations else None
    return str(certifi.where())


# ---------------------------------------------------------------------- what comes back
def _object_fields(response: Response) -> dict[str, Any]:
    headers = response.headers
    fields: dict[str, Any] = {
        "ResponseMetadata": {
            "RequestId": headers.get("x-amz-request-id", ""),
            "HostId": headers.get("x-amz-id-2", ""),
            "HTTPStatusCode": response.status,
            "HTTPHeaders": dict(headers),
            "RetryAttempts": 0,
        }
    }
    for name, header in (
        ("ETag", "etag"),
        ("VersionId", "x-amz-version-id"),
        ("ContentType", "content-type"),
    ):
        if header in headers:
            fields[name] = headers[header]
    return fields


def checksum_computable(headers: Mapping[str, str]) -> bool:
    """Whether the checksum botocore would check is one hashlib or zlib computes here."""
    for algorithm in CHECKSUM_PREFERENCE:
        value = headers.get(f"x-amz-checksum-{algorithm}")
        if value is not None and "-" not in value:  # "-N": a checksum of parts' checksums, skipped
            return algorithm in {"crc32", "sha1", "sha256", "sha512"}
    return True


def check_checksum(headers: Mapping[str, str], body: bytes) -> None:
    """botocore's check of GetObject's body against the first checksum it can use."""
    for algorithm in CHECKSUM_PREFERENCE:
        expected = headers.get(f"x-amz-checksum-{algorithm}")
        if expected is None or "-" in expected:
            continue
        if algorithm == "crc32":
            digest = zlib.crc32(body).to_bytes(4, "big")
        else:
            digest = hashlib.new(algorithm, body).digest()
        if digest != base64.b64decode(expected):
            from botocore.exceptions import FlexibleChecksumError

            actual = base64.b64encode(digest).decode("ascii")
            raise FlexibleChecksumError(
                error_msg=f"Expected checksum {expected} did not match calculated checksum: {actual}"
            )
        return


def _crc32(body: bytes) -> str:
    return base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode("ascii")


def _xml(body: bytes) -> Any:
    from xml.etree import ElementTree

    return ElementTree.fromstring(body)  # noqa: S314 - the service's own answer, as botocore reads it


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _error_code(body: bytes) -> str | None:
    """An S3 error body's ``Code``, or None for anything else."""
    try:
        root = _xml(body)
    except Exception:
        return None
    if _local(root.tag) != "Error":
        return None
    codes = [child.text or "" for child in root if _local(child.tag) == "Code"]
    return codes[0] if len(codes) == 1 else None


def no_such_key(response: Response) -> Exception:
    """The ClientError botocore raises for a 404 NoSuchKey, with the parts callers read."""
    from botocore.exceptions import ClientError

    root = _xml(response.body)
    error = {_local(child.tag): child.text or "" for child in root if not len(child)}
    for echoed in ("RequestId", "HostId"):
        error.pop(echoed, None)
    parsed: Any = {"Error": error, "ResponseMetadata": _object_fields(response)["ResponseMetadata"]}
    return ClientError(parsed, "GetObject")


def stacks_of(body: bytes) -> list[dict[str, Any]] | None:
    """``StackName`` and ``Outputs`` of each stack in a DescribeStacks answer; None if it is not one."""
    try:
        root = _xml(body)
    except Exception:
        return None
    result = _child(root, "DescribeStacksResult")
    members = _child(result, "Stacks") if result is not None else None
    if members is None:
        return None
    stacks = []
    for member in members:
        stack: dict[str, Any] = {}
        name = _child(member, "StackName")
        if name is not None:
            stack["StackName"] = name.text or ""
        outputs = _child(member, "Outputs")
        if outputs is not None:
            stack["Outputs"] = [
                {_local(field.tag): field.text or "" for field in output} for output in outputs
            ]
        stacks.append(stack)
    return stacks


def _child(element: Any, name: str) -> Any:
    return next((child for child in element if _local(child.tag) == name), None)


# ---------------------------------------------------------------------- botocore takes over
class first_attempt:
    """For one call of ``operation`` on ``client``: its first attempt's answer is ``outcome``
    (a response the light path received, or the error that prevented one) instead of a request
    of its own; its later attempts, if its retry policy wants any, go out as usual."""

    def __init__(self, client: Any, operation: str, outcome: Response | OSError) -> None:
        self._client = client
        self._outcome: Response | OSError | None = outcome
        service_id = client.meta.service_model.service_id.hyphenize()
        self._event = f"before-send.{service_id}.{operation}"
        self._id = f"rollout-light-{id(self)}"

    def __enter__(self) -> None:
        self._client.meta.events.register_first(self._event, self._answer, unique_id=self._id)

    def __exit__(self, *_: object) -> None:
        self._client.meta.events.unregister(self._event, unique_id=self._id)

    def _answer(self, request: Any, **_: Any) -> Any:
        outcome, self._outcome = self._outcome, None
        if outcome is None:
            return None  # a retry: botocore sends it
        from botocore.awsrequest import AWSResponse
        from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

        if isinstance(outcome, TimeoutError):
            raise ReadTimeoutError(endpoint_url=request.url, error=outcome)
        if isinstance(outcome, OSError):
            raise EndpointConnectionError(endpoint_url=request.url, error=outcome)
        headers: Any = outcome.headers  # AWSResponse makes its own case-insensitive mapping of them
        return AWSResponse(request.url, outcome.status, headers, ResponseBody(outcome.body))


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def light_clients(env: Mapping[str, str], region: str | None, fallback: Clients) -> LightClients | None:
    """The light path's clients, or None when botocore must make every call."""
    from rollout.light_settings import resolve

    settings = resolve(env, region)
    if settings is None:
        return None
    if settings.session is not None:
        fallback.use_session(settings.session)
    return LightClients(settings, fallback)
