"""The extension's Extensions API client against a canned peer: the answers Lambda's API may give
(chunked, unsized, errors) and the ones it must not (malformed), each a clear RuntimeApiError."""

from __future__ import annotations

import json

import pytest
from appconfig_cache_extension.runtime_api import ExtensionsApi, RuntimeApiError, http_call

from tests.unit.extension.conftest import CannedPeer

pytestmark = pytest.mark.unit
REGISTERED = (
    b"HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: id-1\r\nContent-Length: 23\r\n\r\n"
    b'{"functionName": "fn"}\n'
)


def answering(peer: list[CannedPeer], *replies: bytes) -> CannedPeer:
    """A canned peer, closed at teardown by the ``peer`` fixture."""
    started = CannedPeer(*replies)
    peer.append(started)
    return started


def test_register_keeps_the_identifier_and_sends_it_on_every_later_call(peer: list[CannedPeer]) -> None:
    event = json.dumps({"eventType": "INVOKE", "deadlineMs": 1234, "requestId": "r"}).encode()
    api = answering(
        peer, REGISTERED, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(event), event)
    )
    extensions = ExtensionsApi(f"127.0.0.1:{api.port}")
    assert extensions.register("appconfig-cache") == {"functionName": "fn"}
    got = extensions.next_event()
    assert (got.type, got.deadline_ms) == ("INVOKE", 1234)
    assert b"Lambda-Extension-Name: appconfig-cache" in api.requests[0]
    assert b"Lambda-Extension-Identifier: id-1" in api.requests[1]


def test_a_chunked_answer_is_read_whole(peer: list[CannedPeer]) -> None:
    chunked = (
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n5;x=y\r\n: 1}\n\r\n0\r\n\r\n'
    )
    api = answering(peer, chunked)
    status, _, body = http_call(f"127.0.0.1:{api.port}", "GET", "/x", {}, timeout=30)
    assert (status, json.loads(body)) == (200, {"a": 1})


def test_an_answer_without_a_length_is_read_to_the_end(peer: list[CannedPeer]) -> None:
    api = answering(peer, b'HTTP/1.1 202 Accepted\r\n\r\n{"status": "OK"}')
    status, _, body = http_call(f"127.0.0.1:{api.port}", "POST", "/x", {}, b"{}", timeout=30)
    assert (status, body) == (202, b'{"status": "OK"}')


def test_a_malformed_answer_is_an_error_naming_the_path(peer: list[CannedPeer]) -> None:
    api = answering(peer, b"SPEAKING NONSENSE\r\n\r\n")
    with pytest.raises(RuntimeApiError, match=r"malformed response from the Extensions API to .*/register"):
        ExtensionsApi(f"127.0.0.1:{api.port}").register("appconfig-cache")


@pytest.mark.parametrize(
    "reply",
    [
        b'HTTP/1.1 403 Forbidden\r\nContent-Length: 28\r\n\r\n{"errorType": "InvalidName"}',
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",  # no identifier
    ],
    ids=["refused", "no identifier"],
)
def test_a_failed_registration_says_so(peer: list[CannedPeer], reply: bytes) -> None:
    api = answering(peer, reply)
    with pytest.raises(RuntimeApiError, match="register failed: HTTP"):
        ExtensionsApi(f"127.0.0.1:{api.port}").register("appconfig-cache")


def test_event_next_failing_is_an_error(peer: list[CannedPeer]) -> None:
    api = answering(peer, REGISTERED, b"HTTP/1.1 500 Internal\r\nContent-Length: 4\r\n\r\noops")
    extensions = ExtensionsApi(f"127.0.0.1:{api.port}")
    extensions.register("appconfig-cache")
    with pytest.raises(RuntimeApiError, match="event/next failed: HTTP 500"):
        extensions.next_event()


@pytest.mark.parametrize("address", ["", "127.0.0.1:notaport", "127.0.0.1:9"])
def test_an_unreachable_or_malformed_api_address_is_an_error(address: str) -> None:
    with pytest.raises(RuntimeApiError, match="Extensions API unreachable"):
        ExtensionsApi(address).register("appconfig-cache")
