"""The cache: one AppConfigData session per configuration, refreshed on demand, never worse than stale.

Lambda freezes the environment between invocations, so no background timer can poll: refresh
is driven by INVOKE events and by requests. A configuration is due when it is older than the
poll interval *and* AppConfig's ``NextPollIntervalInSeconds`` (or a backoff) has passed. One
fetch per configuration runs at a time ("flight"); whoever needs it meanwhile waits for that
flight instead of starting another. Once a configuration has content, no AppConfig failure
ever reaches a caller: the last good copy is served.
"""

from __future__ import annotations

import threading
import time

from appconfig_cache_extension.plane import PlaneError, Poll, TimedOut, TokenRejected, Unavailable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from appconfig_cache_extension.log import Logger
    from appconfig_cache_extension.plane import DataPlane
    from appconfig_cache_extension.settings import ConfigKey, Settings

NOT_PARSED = object()

# The first retry after a failure comes after about this long, doubling up to the poll interval.
BACKOFF_BASE_S = 1.0
# Configurations are named by callers; past this many, names that never resolved are dropped.
MAX_ENTRIES = 1024


# Plain classes with __slots__, not dataclasses: see plane.py on start-up imports.
class Snapshot:
    """One version of a configuration, as served. Compared by identity: a new version is a new object."""

    __slots__ = ("content", "content_type", "document", "etag", "label", "rendered", "version")

    def __init__(
        self,
        content: bytes,
        content_type: str,
        etag: str,
        version: str | None = None,
        label: str | None = None,
    ) -> None:
        self.content = content
        self.content_type = content_type
        self.etag = etag
        self.version = version
        self.label = label
        # Derived once per version and dropped with it: the API's rendered response heads, and
        # the parsed document for ?flag= (NOT_PARSED until someone asks).
        self.rendered: tuple[bytes, bytes] | None = None
        self.document: Any = NOT_PARSED

    def __repr__(self) -> str:
        return f"Snapshot({self.content_type}, {self.etag}, {len(self.content)} bytes)"


class Flight:
    """One fetch in progress; waiters block on ``done``."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class Entry:
    __slots__ = ("earliest", "error", "failures", "fetched_at", "flight", "key", "snapshot", "token")

    def __init__(self, key: ConfigKey) -> None:
        self.key = key
        self.snapshot: Snapshot | None = None
        self.token: str | None = None
        self.fetched_at = float("-inf")  # when AppConfig last answered successfully
        self.earliest = float("-inf")  # not before: NextPollIntervalInSeconds or a backoff
        self.failures = 0
        self.error: PlaneError | None = None
        self.flight: Flight | None = None

    def __repr__(self) -> str:
        return f"Entry({self.key}, {self.snapshot!r}, failures={self.failures}, error={self.error!r})"


def etag_for(content: bytes) -> str:
    import hashlib  # in the fetch thread: OpenSSL's loading stays off the start-up path

    return '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'


def _jitter() -> float:
    import random

    return random.random()  # noqa: S311 - spreading retries, not secrets


def _start_thread(target: Callable[[], None]) -> None:
    threading.Thread(target=target, name="appconfig-fetch", daemon=True).start()


class Cache:
    def __init__(
        self,
        plane: DataPlane,
        settings: Settings,
        log: Logger,
        *,
        clock: Callable[[], float] = time.monotonic,
        spawn: Callable[[Callable[[], None]], None] = _start_thread,
        jitter: Callable[[], float] = _jitter,
    ) -> None:
        self._plane = plane
        self._interval = settings.poll_interval_s
        self._timeout = settings.poll_timeout_s
        self._log = log
        self._clock = clock
        self._spawn = spawn
        self._jitter = jitter
        self._lock = threading.Lock()
        self._entries: dict[ConfigKey, Entry] = {}
        # MAX_CONNECTIONS: fetches beyond it queue here rather than open more connections.
        self._connections = threading.BoundedSemaphore(settings.max_connections)

    # ------------------------------------------------------------------ callers
    def get(self, key: ConfigKey) -> Snapshot:
        """The configuration, fetching it (bounded by the poll timeout) when missing or due.

        Raises :class:`PlaneError` only while nothing has ever been fetched for ``key``.
        """
        entry, snapshot, flight = self._begin(key)
        if flight is None:
            assert snapshot is not None
            return snapshot
        finished = flight.done.wait(self._timeout)
        with self._lock:
            if entry.snapshot is not None:
                return entry.snapshot
            if not finished:
                raise TimedOut("AppConfig did not answer within POLL_TIMEOUT_MILLIS")
            assert entry.error is not None
            raise entry.error

    def lookup(self, key: ConfigKey) -> Snapshot | None:
        """What :meth:`get` returns when that needs no waiting; None when it would wait."""
        _, snapshot, flight = self._begin(key)
        return snapshot if flight is None else None

    def _begin(self, key: ConfigKey) -> tuple[Entry, Snapshot | None, Flight | None]:
        """The snapshot to serve now, or the flight to wait for (starting one when due)."""
        launch: list[tuple[Entry, Flight]] = []
        try:
            with self._lock:
                entry = self._entries.get(key) or self._new_entry(key)
                flight = self._start_if_due(entry, launch)
                snapshot = entry.snapshot
                if snapshot is not None and (flight is None or entry.failures):
                    # Fresh enough, or AppConfig has been failing: do not make the caller wait again.
                    return entry, snapshot, None
                if flight is None:
                    assert entry.error is not None  # nothing cached and not due: the last failure stands
                    raise entry.error
                return entry, None, flight
        finally:
            self._launch(launch)

    def _new_entry(self, key: ConfigKey) -> Entry:
        """Under the lock. Names that never resolved are forgotten first when there are too many."""
        if len(self._entries) >= MAX_ENTRIES:
            for stale in [k for k, e in self._entries.items() if e.snapshot is None and e.flight is None]:
                del self._entries[stale]
        entry = self._entries[key] = Entry(key)
        return entry

    def prefetch(self, keys: Iterable[ConfigKey]) -> list[Flight]:
        launch: list[tuple[Entry, Flight]] = []
        with self._lock:
            for key in keys:
                self._start_if_due(self._entries.get(key) or self._new_entry(key), launch)
        self._launch(launch)
        return [flight for _, flight in launch]

    def refresh_due(self) -> list[Flight]:
        """Start a fetch for every configuration that is due (called on each INVOKE)."""
        launch: list[tuple[Entry, Flight]] = []
        with self._lock:
            for entry in self._entries.values():
                if entry.snapshot is not None:
                    self._start_if_due(entry, launch)
        self._launch(launch)
        return [flight for _, flight in launch]

    def wait(self, flights: Iterable[Flight], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        return all(f.done.wait(max(0.0, deadline - time.monotonic())) for f in flights)

    def cached(self) -> dict[ConfigKey, Snapshot]:
        with self._lock:
            return {k: e.snapshot for k, e in self._entries.items() if e.snapshot is not None}

    # ------------------------------------------------------------------ fetching
    def _start_if_due(self, entry: Entry, launch: list[tuple[Entry, Flight]]) -> Flight | None:
        """Under the lock: the running flight, a new one (added to ``launch``) if due, or None."""
        if entry.flight is not None:
            return entry.flight
        now = self._clock()
        due = now >= entry.earliest and (entry.snapshot is None or now >= entry.fetched_at + self._interval)
        if not due:
            return None
        flight = entry.flight = Flight()
        launch.append((entry, flight))
        return flight

    def _launch(self, launch: list[tuple[Entry, Flight]]) -> None:
        """Outside the lock: start the flights that were created under it."""
        for entry, flight in launch:
            self._spawn(lambda e=entry, f=flight: self._fly(e, f))  # type: ignore[misc]

    def _fly(self, entry: Entry, flight: Flight) -> None:
        try:
            with self._connections:
                poll, fresh = self._poll(entry)
            self._succeeded(entry, poll, fresh)
        except PlaneError as error:
            self._failed(entry, error)
        except Exception as error:  # a bug must not leave waiters hanging or kill the thread silently
            self._log.error("fetch crashed", key=str(entry.key), error=repr(error))
            self._failed(entry, Unavailable("internal error while fetching", status=500))
        finally:
            with self._lock:
                entry.flight = None
            flight.done.set()

    def _poll(self, entry: Entry) -> tuple[Poll, bool]:
        """Only the entry's single flight touches its token, so no lock is needed for it."""
        fresh = entry.token is None
        if entry.token is None:
            entry.token = self._plane.start_session(entry.key)
        try:
            return self._plane.get_latest(entry.token), fresh
        except TokenRejected as error:
            self._log.info("new session", key=str(entry.key), reason=str(error))
            entry.token = self._plane.start_session(entry.key)
            return self._plane.get_latest(entry.token), True

    def _succeeded(self, entry: Entry, poll: Poll, fresh: bool) -> None:
        with self._lock:
            now = self._clock()
            entry.token = poll.next_token  # single use: the next call must send the new one
            entry.fetched_at = now
            entry.earliest = now + poll.next_poll_s
            entry.failures, entry.error = 0, None
            old = entry.snapshot
            # An empty body means "unchanged", except as a session's first answer.
            if poll.content or fresh or old is None:
                etag = etag_for(poll.content)
                if old is None or old.etag != etag or old.content_type != poll.content_type:
                    entry.snapshot = Snapshot(
                        poll.content, poll.content_type, etag, poll.version or None, poll.label
                    )
                    self._log.info("configuration updated", key=str(entry.key), version=poll.version)
                    return
        self._log.debug("configuration unchanged", key=str(entry.key))

    def _failed(self, entry: Entry, error: PlaneError) -> None:
        with self._lock:
            entry.failures += 1
            entry.error = error
            backoff = min(self._interval, BACKOFF_BASE_S * 2 ** (entry.failures - 1))
            entry.earliest = self._clock() + backoff * (0.5 + self._jitter() / 2)
            if isinstance(error, TokenRejected):
                entry.token = None  # even the new session failed: start over next time
        self._log.warn(
            "fetch failed" + (", serving the last good copy" if entry.snapshot else ""),
            key=str(entry.key),
            error=type(error).__name__,
            detail=str(error),
        )
