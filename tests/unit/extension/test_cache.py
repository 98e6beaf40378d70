"""Cache and refresh semantics with an in-memory data plane and a manual clock (no sleeping)."""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any

import pytest
from appconfig_cache_extension.cache import Cache, etag_for
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.plane import NotFound, Poll, Throttled, TimedOut, Unavailable
from appconfig_cache_extension.settings import ConfigKey, Settings

from tests.unit.extension.conftest import KEY, ManualClock, MemoryPlane

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.unit
JSON = "application/json"


def test_cold_read_starts_one_session_and_serves_the_content(
    make_cache: Callable[..., Cache], plane: MemoryPlane
) -> None:
    snapshot = make_cache().get(KEY)
    assert snapshot.content == b'{"a": {"default": true}}'
    assert snapshot.content_type == JSON
    assert snapshot.etag == etag_for(snapshot.content)
    assert plane.calls == ["start", "get"]


def test_warm_reads_within_the_interval_never_call_appconfig(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    cache = make_cache()
    first = cache.get(KEY)
    clock.advance(44)
    assert cache.get(KEY) is first
    assert plane.calls == ["start", "get"]


def test_after_the_interval_an_unchanged_configuration_keeps_its_snapshot(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    cache = make_cache()
    first = cache.get(KEY)
    clock.advance(46)
    assert cache.get(KEY) is first  # empty body = unchanged, same ETag
    assert plane.calls == ["start", "get", "get"]  # the next token, no new session


def test_a_new_deployment_is_seen_after_the_interval(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    cache = make_cache()
    cache.get(KEY)
    plane.configs[KEY] = (b'{"a": {"default": false}}', JSON)
    clock.advance(10)
    assert cache.get(KEY).content == b'{"a": {"default": true}}'
    clock.advance(36)
    assert cache.get(KEY).content == b'{"a": {"default": false}}'


def test_a_rollback_is_seen_like_any_other_change(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    cache = make_cache()
    old = cache.get(KEY)
    plane.configs[KEY] = (b"{}", JSON)
    clock.advance(46)
    assert cache.get(KEY).content == b"{}"
    plane.configs[KEY] = (old.content, JSON)
    clock.advance(46)
    assert cache.get(KEY).etag == old.etag


def test_never_polls_sooner_than_appconfig_allows(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    plane.next_poll_s = 120
    cache = make_cache(poll_interval_s=45.0)
    cache.get(KEY)
    clock.advance(60)
    cache.get(KEY)
    assert plane.calls == ["start", "get"]
    clock.advance(61)
    cache.get(KEY)
    assert plane.calls == ["start", "get", "get"]


def test_tokens_are_used_once_and_an_expired_one_starts_a_new_session(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    cache = make_cache()
    cache.get(KEY)
    clock.advance(46)
    cache.get(KEY)  # would raise TokenRejected inside, and start a session, if a token were reused
    assert plane.calls.count("start") == 1
    plane.expire_tokens()
    plane.configs[KEY] = (b'{"b": {"default": true}}', JSON)
    clock.advance(46)
    assert cache.get(KEY).content == b'{"b": {"default": true}}'
    assert plane.calls[-3:] == ["get", "start", "get"]


@pytest.mark.parametrize(
    "failure",
    [Unavailable("HTTP 500"), TimedOut("read timeout"), Throttled("slow down"), NotFound("deleted")],
)
def test_failures_after_a_first_fetch_serve_the_last_good_copy(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock, failure: Exception
) -> None:
    cache = make_cache()
    good = cache.get(KEY)
    plane.failures = [failure]  # type: ignore[list-item]
    clock.advance(46)
    assert cache.get(KEY) is good
    assert plane.failures == []


def test_failures_back_off_exponentially_up_to_the_poll_interval(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    cache = make_cache(poll_interval_s=10.0)
    cache.get(KEY)
    plane.failures = [Throttled("x") for _ in range(6)]
    clock.advance(11)
    gets_before = plane.calls.count("get")
    attempts_at: list[float] = []
    for _ in range(200):  # 50 s in steps a float adds exactly
        cache.get(KEY)
        if plane.calls.count("get") > gets_before + len(attempts_at):
            attempts_at.append(clock.now)
        clock.advance(0.25)
    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert gaps[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(gaps) <= 10.0


def test_first_fetch_errors_keep_their_status_and_are_not_retried_at_once(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    cache = make_cache()
    missing = ConfigKey("app", "env", "missing")
    with pytest.raises(NotFound) as raised:
        cache.get(missing)
    assert raised.value.status == 404
    with pytest.raises(NotFound):
        cache.get(missing)
    assert plane.calls == ["start"]  # the second answer came from the recorded failure
    plane.configs[missing] = (b"x", "text/plain")
    clock.advance(1.1)
    assert cache.get(missing).content == b"x"


def test_refresh_due_starts_fetches_only_for_due_configurations(
    make_cache: Callable[..., Cache], plane: MemoryPlane, clock: ManualClock
) -> None:
    other = ConfigKey("app", "env", "other")
    plane.configs[other] = (b"o", "text/plain")
    cache = make_cache()
    cache.get(KEY)
    clock.advance(30)
    cache.get(other)
    clock.advance(20)  # KEY is 50 s old, other 20 s
    calls = len(plane.calls)
    flights = cache.refresh_due()
    assert len(flights) == 1
    assert plane.calls[calls:] == ["get"]


def test_prefetch_fetches_before_any_request(make_cache: Callable[..., Cache], plane: MemoryPlane) -> None:
    cache = make_cache()
    assert len(cache.prefetch([KEY, KEY])) == 1
    assert KEY in cache.cached()


class GatedPlane(MemoryPlane):
    """Each GetLatestConfiguration waits until the test opens the gate, and counts how many run
    at once: concurrency on the test's terms, with no sleeping."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.gate = threading.Event()
        self.running = 0
        self.most = 0
        self._changed = threading.Condition()

    def get_latest(self, key: ConfigKey, token: str) -> Poll:
        with self._changed:
            self.running += 1
            self.most = max(self.most, self.running)
            self._changed.notify_all()
        self.gate.wait(HANG_GUARD_S)
        with self._changed:
            self.running -= 1
        return super().get_latest(key, token)

    def wait_running(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.running >= count, HANG_GUARD_S)


# Bounds only what a broken cache would make the test wait for; never reached when it works.
HANG_GUARD_S = 30.0


class Threads:
    """A spawn for the cache that keeps its fetch threads, so a test can wait for them to end."""

    def __init__(self) -> None:
        self.started: list[threading.Thread] = []

    def __call__(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        self.started.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.started:
            thread.join(HANG_GUARD_S)
            assert not thread.is_alive()


def threaded_cache(plane: MemoryPlane, spawn: Threads | None = None, **settings: Any) -> Cache:
    options: dict[str, Any] = {"poll_interval_s": 45.0, "poll_timeout_s": HANG_GUARD_S} | settings
    return Cache(plane, Settings(**options), Logger("none"), spawn=spawn or Threads())


def test_concurrent_requests_wait_for_one_fetch() -> None:
    plane = GatedPlane(configs={KEY: (b"v1", "text/plain")})
    cache = threaded_cache(plane)
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(KEY).content)) for _ in range(8)]
    for thread in threads:
        thread.start()
    plane.wait_running(1)  # the one fetch is held open while the others ask
    plane.gate.set()
    for thread in threads:
        thread.join(HANG_GUARD_S)
    assert results == [b"v1"] * 8
    assert plane.calls == ["start", "get"]


def test_a_first_fetch_slower_than_the_poll_timeout_is_a_gateway_timeout() -> None:
    plane = GatedPlane(configs={KEY: (b"v1", "text/plain")})
    fetches = Threads()
    cache = threaded_cache(plane, fetches, poll_timeout_s=0.1)
    with pytest.raises(TimedOut) as raised:
        cache.get(KEY)  # the gate is shut: AppConfig has not answered
    assert raised.value.status == 504
    plane.gate.set()
    fetches.join()
    assert cache.get(KEY).content == b"v1"  # the fetch finished in the background
    assert plane.calls == ["start", "get"]


def test_max_connections_bounds_concurrent_fetches() -> None:
    keys = [ConfigKey("app", "env", f"p{i}") for i in range(6)]
    plane = GatedPlane(configs=dict.fromkeys(keys, (b"x", "text/plain")))
    cache = threaded_cache(plane, max_connections=2)
    flights = cache.prefetch(keys)
    plane.wait_running(2)
    assert plane.running == 2  # the other four wait for a connection
    plane.gate.set()
    assert cache.wait(flights, HANG_GUARD_S)
    assert plane.most == 2
    assert len(cache.cached()) == 6
