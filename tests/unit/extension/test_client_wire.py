"""The client's reading of the extension's answers, against a canned peer: malformed or oversized
heads, a peer that closes mid-answer, ``Connection: close``, and parsing by content type."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from appconfig_cache import client as client_module
from appconfig_cache.client import ConfigurationClient, ConfigurationError, ExtensionUnavailable
from appconfig_cache.documents import parse_document

from tests.unit.extension.conftest import CannedPeer

if TYPE_CHECKING:
    from tests.unit.extension.conftest import Serving

pytestmark = pytest.mark.unit


def canned(peers: list[CannedPeer], *replies: bytes) -> ConfigurationClient:
    p = CannedPeer(*replies)
    peers.append(p)
    return ConfigurationClient(p.port, timeout=30)


def test_a_malformed_status_line_is_a_502(peer: list[CannedPeer]) -> None:
    client = canned(peer, b"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(ConfigurationError) as raised:
        client.get("a", "e", "p")
    assert raised.value.status == 502
    assert "malformed" in raised.value.message


def test_a_head_that_never_ends_is_a_502(peer: list[CannedPeer]) -> None:
    client = canned(peer, b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"x" * (client_module.MAX_HEAD + 10))
    with pytest.raises(ConfigurationError) as raised:
        client.get("a", "e", "p")
    assert (raised.value.status, raised.value.message) == (502, "response head too large")


def test_a_peer_that_closes_mid_body_is_reported_as_gone(peer: list[CannedPeer]) -> None:
    client = canned(peer, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
    with pytest.raises(ExtensionUnavailable, match="closed the connection"):
        client.get("a", "e", "p")


def test_connection_close_from_the_extension_makes_the_next_read_reconnect(peer: list[CannedPeer]) -> None:
    first = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
        b"Connection: close\r\n\r\n{}"
    )
    client = canned(peer, first)
    assert client.get("a", "e", "p").document == {}
    assert client._sock is None  # the extension said it closes: nothing kept alive


def test_names_are_percent_encoded_in_the_path(peer: list[CannedPeer]) -> None:
    client = canned(peer, b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")
    with pytest.raises(ConfigurationError) as raised:
        client.get("my app", "prod/eu", "p?x")
    assert (raised.value.status, raised.value.message) == (404, "not found")
    assert (
        peer[0]
        .requests[0]
        .startswith(b"GET /applications/my%20app/environments/prod%2Feu/configurations/p%3Fx ")
    )


def test_close_drops_the_kept_alive_connection(serving: Serving) -> None:
    client = ConfigurationClient(serving.port)
    client.get("app", "env", "profile")
    assert client._sock is not None
    client.close()
    assert client._sock is None
    assert client.get("app", "env", "profile").document == {"a": {"default": True}}  # reconnects


def test_unconditional_reads_download_a_new_object_each_time(serving: Serving) -> None:
    client = ConfigurationClient(serving.port)
    first = client.get("app", "env", "profile", conditional=False)
    again = client.get("app", "env", "profile", conditional=False)
    assert again is not first
    assert again.content == first.content


def test_the_process_wide_client_reads_the_port_variable(
    serving: Serving, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(client_module.PORT_VARIABLE, str(serving.port))
    monkeypatch.setattr(client_module, "_default", None)
    configuration = client_module.get_configuration("app", "env", "profile")
    assert configuration.document == {"a": {"default": True}}
    assert client_module.default_client() is client_module.default_client()
    assert client_module.default_client().address == ("127.0.0.1", serving.port)


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b'{"a": 1}', "application/json", {"a": 1}),
        (b'{"a": 1}', "application/json; charset=utf-8", {"a": 1}),
        (b"a: 1\n", "application/x-yaml", {"a": 1}),
        (b"a: 1\n", "text/yaml", {"a": 1}),
        (b'{"a": 1}', "application/octet-stream", {"a": 1}),
        (b"a: [1, 2]\n", "text/plain", {"a": [1, 2]}),  # not JSON: read as YAML
        (b"a: 1\n", "", {"a": 1}),
    ],
)
def test_documents_are_parsed_by_content_type(content: bytes, content_type: str, expected: object) -> None:
    assert parse_document(content, content_type) == expected


def test_an_unknown_content_type_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'image/png'"):
        parse_document(b"\x89PNG", "image/png")
