"""The three defects of the first version and the path grammar, each with the check a user would make."""

from __future__ import annotations

import socket
import threading
import tracemalloc
from typing import TYPE_CHECKING

import pytest
from appconfig_cache_extension.api import Api, Reply
from appconfig_cache_extension.cache import Cache
from appconfig_cache_extension.http_request import parse_head
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.server import Server, bind
from appconfig_cache_extension.settings import ConfigKey, Settings, SettingsError, parse_settings

from tests.unit.extension.conftest import KEY, MemoryPlane, answer

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.unit
PATH = "/applications/app/environments/env/configurations/profile"


def test_memory_is_flat_over_20000_requests_for_a_failing_configuration(
    make_cache: Callable[..., Cache], plane: MemoryPlane
) -> None:
    """A configuration whose fetch failed is answered from the cached failure: re-raising one
    exception object grows its traceback by a frame per request, so memory must be compared."""
    plane.configs.clear()  # every fetch: ResourceNotFoundException
    api = Api(make_cache(poll_interval_s=3600.0))
    request = parse_head(f"GET {PATH} HTTP/1.1\r\nHost: x".encode())

    def serve(count: int) -> None:
        for _ in range(count):
            reply = api.respond(request)
            assert isinstance(reply, Reply)
            assert reply.head.startswith(b"HTTP/1.1 404")

    assert answer(api, request).head.startswith(b"HTTP/1.1 404")  # the first one waits for the fetch
    serve(1000)  # the failure is cached (backing off): every later request is answered from it
    tracemalloc.start()
    try:
        serve(1000)
        before = tracemalloc.get_traced_memory()[0]
        serve(20_000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"{grown / 20_000:.0f} bytes kept per request"


class GatedPlane(MemoryPlane):
    """The first session waits until the test opens the gate: every client is connected and has
    sent its request while the configuration is still not cached."""

    def __init__(self) -> None:
        super().__init__(configs={KEY: (b'{"a": {"default": true}}', "application/json")})
        self.gate = threading.Event()

    def start_session(self, key: ConfigKey) -> str:
        assert self.gate.wait(30)
        return super().start_session(key)


def test_150_concurrent_clients_on_an_uncached_configuration_all_get_200() -> None:
    plane = GatedPlane()
    cache = Cache(plane, Settings(poll_timeout_s=30.0), Logger("none"))
    server = Server(bind(0), Api(cache).respond, Logger("none"))
    server.start()
    clients: list[socket.socket] = []
    try:
        for _ in range(150):
            clients.append(socket.create_connection(("127.0.0.1", server.port), timeout=30))
        for sock in clients:
            sock.sendall(f"GET {PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        plane.gate.set()
        statuses = []
        for sock in clients:
            response = b""
            while b"\r\n\r\n" not in response:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                response += chunk
            statuses.append(response.split(b" ", 2)[1] if response else b"reset")
        assert statuses == [b"200"] * 150
        assert plane.calls.count("start") == 1  # one fetch served them all
    finally:
        for sock in clients:
            sock.close()
        server.stop()


def test_http11_request_without_host_is_400() -> None:
    from appconfig_cache_extension.http_request import HttpError

    with pytest.raises(HttpError) as error:
        parse_head(f"GET {PATH} HTTP/1.1".encode())
    assert error.value.status == 400
    # HTTP/1.0 has no Host requirement (RFC 9112 section 3.2 is about HTTP/1.1 requests).
    assert parse_head(f"GET {PATH} HTTP/1.0".encode()).target == PATH


@pytest.mark.parametrize(
    "path",
    [
        "/applications/a/environments/e/configurations/x%ZZ",
        "/applications/a/environments/e/configurations/x%2",
        "/applications/a/environments/e/configurations/%FF",
        "/applications/a/environments/e/configurations/%2E%2E",
        "/applications/a/environments/e/configurations/x%00y",
    ],
)
def test_prefetch_list_and_requests_share_one_path_grammar(path: str) -> None:
    """The same path is refused the same way as a setting (init error) and as a request (400)."""
    with pytest.raises(SettingsError):
        parse_settings({"AWS_APPCONFIG_EXTENSION_PREFETCH_LIST": path})
    api = Api(Cache(MemoryPlane(), Settings(), Logger("none")))
    reply = api.respond(parse_head(f"GET {path} HTTP/1.1\r\nHost: x".encode()))
    assert isinstance(reply, Reply)
    assert reply.head.startswith(b"HTTP/1.1 400")


def test_encoded_names_read_the_same_in_prefetch_list_and_requests() -> None:
    path = "/applications/my%2Fapp/environments/e%20v/configurations/p%C3%A9"
    [key] = parse_settings({"AWS_APPCONFIG_EXTENSION_PREFETCH_LIST": path}).prefetch
    assert key == ConfigKey("my/app", "e v", "pé")
    plane = MemoryPlane(configs={key: (b"{}", "application/json")})
    cache = Cache(plane, Settings(), Logger("none"), spawn=lambda target: target())
    reply = answer(Api(cache), parse_head(f"GET {path} HTTP/1.1\r\nHost: x".encode()))
    assert reply.head.startswith(b"HTTP/1.1 200")  # the names reached the plane decoded, as the key above
