"""Doubles for the extension's injected interfaces: an in-memory data plane and a manual clock.

The plane keeps the AppConfigData rules the cache depends on: tokens are single use, an
unchanged configuration answers an empty body, a session's first answer carries the content.
The same cache runs against the local AppConfig service in tests/integration/extension.
"""

from __future__ import annotations

import itertools
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

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def serving(plane: MemoryPlane) -> Iterator[Serving]:
    """The extension's HTTP server and API on a free loopback port, over the in-memory plane
    (polling every 50 ms, so a test sees a change after a short sleep)."""
    cache = Cache(plane, Settings(poll_interval_s=0.05, poll_timeout_s=1.0), Logger("none"), preparer=prepare)
    server = Server(
        bind(0), Api(cache).respond, Logger("none"), head_timeout_s=0.5, write_timeout_s=1.0, tick_s=0.05
    )
    server.start()
    try:
        yield Serving(server.port, plane, server)
    finally:
        server.stop()
