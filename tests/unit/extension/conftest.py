"""Doubles for the extension's injected interfaces: an in-memory data plane and a manual clock.

The plane keeps the AppConfigData rules the cache depends on: tokens are single use, an
unchanged configuration answers an empty body, a session's first answer carries the content.
The same cache runs against the local AppConfig service in tests/integration/extension.
"""

from __future__ import annotations

import itertools
import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from appconfig_cache_extension.api import Api, Reply
from appconfig_cache_extension.cache import Cache, Flight
from appconfig_cache_extension.flags import prepare
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.plane import NotFound, PlaneError, Poll, TokenRejected
from appconfig_cache_extension.server import Server, bind
from appconfig_cache_extension.settings import ConfigKey, Settings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from appconfig_cache_extension.http_request import Request

KEY = ConfigKey("app", "env", "profile")
# The serving fixture's server timeouts, in its manual clock's seconds.
HEAD_TIMEOUT_S = 10.0
WRITE_TIMEOUT_S = 30.0


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class MemoryPlane:
    """AppConfigData in memory: ``configs`` is what is deployed, ``failures`` what the next calls raise."""

    configs: dict[ConfigKey, tuple[bytes, str]] = field(default_factory=dict)
    next_poll_s: float = 0.0
    failures: list[PlaneError] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    _tokens: dict[str, tuple[ConfigKey, bytes | None]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def start_session(self, key: ConfigKey) -> str:
        self.calls.append("start")
        self._fail()
        if key not in self.configs:
            raise NotFound(f"{key} not found")
        return self._issue(key, None)

    def get_latest(self, key: ConfigKey, token: str) -> Poll:
        self.calls.append("get")
        self._fail()
        if token not in self._tokens:
            raise TokenRejected("Corrupted")
        owner, seen = self._tokens.pop(token)  # single use
        assert owner == key, "a token is used only with its own configuration"
        content, content_type = self.configs[key]
        return Poll(
            content=b"" if content == seen else content,
            content_type=content_type,
            next_token=self._issue(key, content),
            next_poll_s=self.next_poll_s,
            version=str(len(self.calls)),
        )

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def _issue(self, key: ConfigKey, seen: bytes | None) -> str:
        token = f"token-{next(self._ids)}"
        self._tokens[token] = (key, seen)
        return token

    def _fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def plane() -> MemoryPlane:
    return MemoryPlane(configs={KEY: (b'{"a": {"default": true}}', "application/json")})


def answer(api: Api, request: Request, body: bytes = b"") -> Reply:
    """What the server sends for ``request``: the reply, after waiting for any flight it needs."""
    reply = api.respond(request, body)
    while isinstance(reply, Flight):
        assert reply.done.wait(10)
        reply = api.respond(request, body, True)
    return reply


def inline(target: Callable[[], None]) -> None:
    """Run a fetch in the caller's thread: deterministic, no sleeping."""
    target()


@pytest.fixture
def make_cache(plane: MemoryPlane, clock: ManualClock) -> Callable[..., Cache]:
    def make(**settings: Any) -> Cache:
        options: dict[str, Any] = {"poll_interval_s": 45.0, "poll_timeout_s": 0.5} | settings
        return Cache(
            plane,
            Settings(**options),
            Logger("none"),
            clock=clock,
            spawn=inline,
            jitter=lambda: 1.0,
            preparer=prepare,
        )

    return make


@dataclass
class Serving:
    port: int
    plane: MemoryPlane
    server: Server
    clock: ManualClock

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def serving(plane: MemoryPlane, clock: ManualClock) -> Iterator[Serving]:
    """The extension's HTTP server and API on a free loopback port, over the in-memory plane.

    Cache and server measure time by ``clock``: a test advances it past the poll interval or a
    timeout, and the server notices within a tick (50 ms of real time). The poll timeout only
    bounds a wait for the in-memory plane, which answers at once."""
    settings = Settings(poll_interval_s=45.0, poll_timeout_s=30.0)
    cache = Cache(plane, settings, Logger("none"), clock=clock, preparer=prepare)
    server = Server(
        bind(0),
        Api(cache).respond,
        Logger("none"),
        head_timeout_s=HEAD_TIMEOUT_S,
        write_timeout_s=WRITE_TIMEOUT_S,
        tick_s=0.05,
        clock=clock,
    )
    server.start()
    try:
        yield Serving(server.port, plane, server, clock)
    finally:
        server.stop()


class CannedPeer:
    """Accepts connections and answers each request with the next canned reply, verbatim."""

    def __init__(self, *replies: bytes) -> None:
        self._replies = list(replies)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self._replies:
            conn, _ = self._listener.accept()
            with conn:
                while self._replies:
                    request = conn.recv(65536)
                    if not request:
                        break
                    self.requests.append(request)
                    conn.sendall(self._replies.pop(0))
                    if b"Connection: close" in self.requests[-1] or not self._replies:
                        break

    def close(self) -> None:
        self._listener.close()
        self._thread.join(30)


@pytest.fixture
def peer() -> Iterator[list[CannedPeer]]:
    started: list[CannedPeer] = []
    yield started
    for p in started:
        p.close()
