"""The cache: one AppConfigData session per configuration, refreshed on demand, never worse than stale.

Lambda freezes the environment between invocations, so no background timer can poll: refresh
is driven by INVOKE events and by requests. A configuration is due when it is older than the
poll interval *and* AppConfig's ``NextPollIntervalInSeconds`` (or a backoff) has passed. One
fetch per configuration runs at a time ("flight"); whoever needs it meanwhile waits for that
flight instead of starting another. Once a configuration has content, no AppConfig failure
ever reaches a caller: the last good copy is served.

Failures are kept as values and handed out as fresh exceptions: re-raising one stored
exception object would grow its traceback by a frame on every request.
"""

from __future__ import annotations

import threading
import time

from appconfig_cache_extension.plane import PlaneError, TimedOut, TokenRejected, Unavailable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from appconfig_cache_extension.log import Logger
    from appconfig_cache_extension.plane import DataPlane, Poll
    from appconfig_cache_extension.settings import ConfigKey, Settings

    # Called in the fetch thread with each new version before it is served (e.g. writeTo).
    VersionHook = Callable[[ConfigKey, "Snapshot"], None]
    # Turns a version's bytes into what ?flag= and OFREP evaluate (parse + validate), or raises.
    Preparer = Callable[["Snapshot"], Any]

NOT_PREPARED = object()

# The first retry after a failure comes after about this long, doubling up to the poll interval.
BACKOFF_BASE_S = 1.0
# Configurations are named by callers; past this many, names that never resolved are dropped.
MAX_ENTRIES = 1024


# Plain classes with __slots__, not dataclasses: see plane.py on start-up imports.
class Snapshot:
    """One version of a configuration, as served. Compared by identity: a new version is a new object."""

    __slots__ = (
        "content",
        "content_type",
        "etag",
        "label",
        "prepared",
        "preparing",
        "rendered",
        "version",
    )

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
        # Derived once per version and dropped with it: the API's rendered responses, and what
        # flags are evaluated from (NOT_PREPARED until then; an exception if it cannot be).
        self.rendered: Any = None
        self.prepared: Any = NOT_PREPARED
        self.preparing: Flight | None = None

    def __repr__(self) -> str:
        return f"Snapshot({self.content_type}, {self.etag}, {len(self.content)} bytes)"


class Flight:
    """One fetch (or one preparation) in progress: waiters block on it or register a callback.

    ``bounded``: a fetch, which a request waits for at most POLL_TIMEOUT_MILLIS; a preparation
    (parsing a new version) is always waited for, since it cannot fail to finish.
    """

    __slots__ = ("_callbacks", "_lock", "bounded", "done")

    def __init__(self, *, bounded: bool = True) -> None:
        self.bounded = bounded
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        """``callback()`` once the flight has landed (at once, in this thread, if it has)."""
        with self._lock:
            if not self.done.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def land(self) -> None:
        with self._lock:
            self.done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


class Entry:
    __slots__ = (
        "due_at",
        "earliest",
        "error",
        "failures",
        "fetched_at",
        "flight",
        "key",
        "prepare",
        "snapshot",
        "token",
    )

    def __init__(self, key: ConfigKey) -> None:
        self.key = key
        self.snapshot: Snapshot | None = None
        self.token: str | None = None
        self.fetched_at = float("-inf")  # when AppConfig last answered successfully
        self.earliest = float("-inf")  # not before: NextPollIntervalInSeconds or a backoff
        self.due_at = float("-inf")  # the later of the two rules: the request path's one comparison
        self.failures = 0
        self.error: PlaneError | None = None
        self.flight: Flight | None = None
        self.prepare = False  # flags were asked of it: prepare every new version before serving it

    def __repr__(self) -> str:
        return f"Entry({self.key}, {self.snapshot!r}, failures={self.failures}, error={self.error!r})"


def etag_for(content: bytes) -> str:
    import hashlib  # in the fetch thread: OpenSSL's loading stays off the start-up path

    return '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'


def fresh(error: PlaneError) -> PlaneError:
    """A new exception with the stored one's kind, message and status."""
    return type(error)(str(error), status=error.status)


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
        preparer: Preparer | None = None,
    ) -> None:
        self._plane = plane
        self.interval = settings.poll_interval_s
        self.timeout = settings.poll_timeout_s
        self._log = log
        self._clock = clock
        self._spawn = spawn
        self._jitter = jitter
        self._preparer = preparer
        self._lock = threading.Lock()
        self._entries: dict[ConfigKey, Entry] = {}
        self._hooks: list[VersionHook] = []
        # MAX_CONNECTIONS: fetches beyond it queue here rather than open more connections.
        self._connections = threading.BoundedSemaphore(settings.max_connections)

    def on_new_version(self, hook: VersionHook) -> None:
        self._hooks.append(hook)

    # ------------------------------------------------------------------ callers
    def lookup(self, key: ConfigKey) -> Snapshot | PlaneError | Flight:
        """What to answer now: the snapshot, the failure (nothing was ever fetched and a retry is
        not due yet), or the flight to wait for (started here when due)."""
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry.snapshot is not None
            and entry.flight is None
            and self._clock() < entry.due_at
        ):
            return entry.snapshot  # the warm path: no lock, no allocation
        launch: list[tuple[Entry, Flight]] = []
        try:
            with self._lock:
                entry = self._entries.get(key) or self._new_entry(key)
                flight = self._start_if_due(entry, launch)
                snapshot = entry.snapshot
                if snapshot is not None and (flight is None or entry.failures):
                    # Fresh enough, or AppConfig has been failing: do not make the caller wait again.
                    return snapshot
                if flight is None:
                    assert entry.error is not None  # nothing cached and not due: the last failure stands
                    return entry.error
                return flight
        finally:
            self._launch(launch)

    def peek(self, key: ConfigKey) -> Snapshot | PlaneError:
        """After waiting for a flight (or giving up on it): whatever there is, starting nothing."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.snapshot is not None:
                return entry.snapshot
            if entry is not None and entry.error is not None and entry.flight is None:
                return entry.error
        return TimedOut("AppConfig did not answer within POLL_TIMEOUT_MILLIS")

    def get(self, key: ConfigKey) -> Snapshot:
        """The configuration, fetching it (bounded by the poll timeout) when missing or due.

        Raises :class:`PlaneError` only while nothing has ever been fetched for ``key``.
        """
        found = self.lookup(key)
        if isinstance(found, Flight):
            found.done.wait(self.timeout)
            found = self.peek(key)
        if isinstance(found, PlaneError):
            raise fresh(found)
        return found

    def prepared(self, key: ConfigKey, snapshot: Snapshot) -> Any:
        """What flags are evaluated from, or the flight preparing it off the request path.

        Asking marks the configuration: from then on each new version is prepared in its fetch
        thread, before it is served, so no request waits for a parse again.
        """
        if snapshot.prepared is not NOT_PREPARED:
            return snapshot.prepared
        launch = False
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.prepare = True
            if snapshot.prepared is not NOT_PREPARED:
                return snapshot.prepared
            if snapshot.preparing is None:
                snapshot.preparing = Flight(bounded=False)
                launch = True
            flight = snapshot.preparing
        if launch:
            self._spawn(lambda: self._prepare_in_flight(snapshot, flight))
        return flight

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
    def _new_entry(self, key: ConfigKey) -> Entry:
        """Under the lock. Names that never resolved are forgotten first when there are too many."""
        if len(self._entries) >= MAX_ENTRIES:
            for stale in [k for k, e in self._entries.items() if e.snapshot is None and e.flight is None]:
                del self._entries[stale]
        entry = self._entries[key] = Entry(key)
        return entry

    def _start_if_due(self, entry: Entry, launch: list[tuple[Entry, Flight]]) -> Flight | None:
        """Under the lock: the running flight, a new one (added to ``launch``) if due, or None."""
        if entry.flight is not None:
            return entry.flight
        if self._clock() < entry.due_at:
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
                poll, fresh_session = self._poll(entry)
            self._succeeded(entry, poll, fresh_session)
        except PlaneError as error:
            self._failed(entry, error)
        except Exception as error:  # a bug must not leave waiters hanging or kill the thread silently
            self._log.error("fetch crashed", key=str(entry.key), error=repr(error))
            self._failed(entry, Unavailable("internal error while fetching", status=500))
        finally:
            with self._lock:
                entry.flight = None
            flight.land()

    def _poll(self, entry: Entry) -> tuple[Poll, bool]:
        """Only the entry's single flight touches its token, so no lock is needed for it."""
        fresh_session = entry.token is None
        if entry.token is None:
            entry.token = self._plane.start_session(entry.key)
        try:
            return self._plane.get_latest(entry.key, entry.token), fresh_session
        except TokenRejected as error:
            self._log.info("new session", key=str(entry.key), reason=str(error))
            entry.token = self._plane.start_session(entry.key)
            return self._plane.get_latest(entry.key, entry.token), True

    def _succeeded(self, entry: Entry, poll: Poll, fresh_session: bool) -> None:
        snapshot = None
        old = entry.snapshot
        # An empty body means "unchanged", except as a session's first answer.
        if poll.content or fresh_session or old is None:
            etag = etag_for(poll.content)
            if old is None or old.etag != etag or old.content_type != poll.content_type:
                snapshot = Snapshot(poll.content, poll.content_type, etag, poll.version or None, poll.label)
                if entry.prepare:
                    self._prepare(snapshot)  # parsed here, before any request can see it
                for hook in self._hooks:
                    hook(entry.key, snapshot)
        with self._lock:
            now = self._clock()
            entry.token = poll.next_token  # single use: the next call must send the new one
            entry.fetched_at = now
            entry.earliest = now + poll.next_poll_s
            entry.due_at = max(entry.earliest, now + self.interval)
            entry.failures, entry.error = 0, None
            if snapshot is not None:
                entry.snapshot = snapshot
        if snapshot is not None:
            self._log.info("configuration updated", key=str(entry.key), version=poll.version)
        else:
            self._log.debug("configuration unchanged", key=str(entry.key))

    def _failed(self, entry: Entry, error: PlaneError) -> None:
        with self._lock:
            entry.failures += 1
            entry.error = error
            backoff = min(self.interval, BACKOFF_BASE_S * 2 ** (entry.failures - 1))
            entry.earliest = self._clock() + backoff * (0.5 + self._jitter() / 2)
            entry.due_at = entry.earliest
            if isinstance(error, TokenRejected):
                entry.token = None  # even the new session failed: start over next time
        self._log.warn(
            "fetch failed" + (", serving the last good copy" if entry.snapshot else ""),
            key=str(entry.key),
            error=type(error).__name__,
            detail=str(error),
        )

    # ------------------------------------------------------------------ preparing documents
    def _prepare(self, snapshot: Snapshot) -> None:
        if self._preparer is None:
            snapshot.prepared = ValueError("this extension evaluates no flags")
            return
        try:
            snapshot.prepared = self._preparer(snapshot)
        except Exception as error:  # kept and answered per request: a bad document is not a crash
            snapshot.prepared = error

    def _prepare_in_flight(self, snapshot: Snapshot, flight: Flight) -> None:
        try:
            self._prepare(snapshot)
        finally:
            flight.land()
