"""The small interface the cache needs from AppConfigData, and the failures it tells apart.

The cache decides what to do by failure kind (new session, back off, serve the last good copy,
answer 404), so every implementation (AppConfigData, the local directory) maps its errors onto these.
"""

from __future__ import annotations

# ``typing`` and ``dataclasses`` stay out of the start-up path: each costs milliseconds before
# registering. mypy treats a ``TYPE_CHECKING`` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from appconfig_cache_extension.paths import ConfigKey

    class DataPlane(Protocol):
        def start_session(self, key: ConfigKey) -> str:
            """Return the session's initial token."""

        def get_latest(self, key: ConfigKey, token: str) -> Poll:
            """The next answer of ``key``'s session (``key`` chooses the credentials)."""


class Poll:
    """One GetLatestConfiguration answer. An empty ``content`` means unchanged (except a session's first)."""

    __slots__ = ("content", "content_type", "label", "next_poll_s", "next_token", "version")

    def __init__(
        self,
        content: bytes,
        content_type: str,
        next_token: str,
        next_poll_s: float,
        *,
        version: str | None = None,  # Configuration-Version, when the service sends it
        label: str | None = None,  # VersionLabel (hosted store only)
    ) -> None:
        self.content = content
        self.content_type = content_type
        self.next_token = next_token
        self.next_poll_s = next_poll_s
        self.version = version
        self.label = label


class PlaneError(Exception):
    """A failed call; ``status`` is what a caller with nothing cached is answered."""

    status = 502

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class TokenRejected(PlaneError):
    """The token is expired or corrupt: start a new session."""

    status = 400


class Throttled(PlaneError):
    """Throttling or PollIntervalNotSatisfied: back off before the next call."""


class NotFound(PlaneError):
    status = 404


class BadRequest(PlaneError):
    status = 400


class Unavailable(PlaneError):
    """Server errors, refused connections, access errors: transient from the cache's point of view."""


class TimedOut(PlaneError):
    status = 504
