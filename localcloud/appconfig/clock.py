"""Service time: the clock every deployment, bake and token lifetime is measured on.

A deployment strategy is minutes of wall time; tests and demos cannot wait for it. The service
therefore never reads the system clock directly: it asks a ``Clock``. ``ScaledClock`` runs
``time_scale`` times faster than real time (60.0 turns a 30-minute strategy into 30 seconds);
``ManualClock`` moves only when a test calls ``advance``, so tests never sleep.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current service time, timezone-aware UTC."""
        ...


class ScaledClock:
    """Real time, sped up by ``time_scale`` from the moment the clock is made."""

    def __init__(self, time_scale: float = 1.0, *, start: datetime | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._origin = start or datetime.now(UTC)
        self._mono = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._mono) * self.time_scale
        return self._origin + timedelta(seconds=elapsed)

    def skip(self, seconds: float) -> datetime:
        """Move on ``seconds`` of real time at once (``seconds * time_scale`` of service time), as
        if they had gone by: for a whole local cloud whose every clock skips together."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._origin += timedelta(seconds=seconds * self.time_scale)
        return self.now()


class ManualClock:
    """Stands still until ``advance`` moves it: deterministic strategies, bakes and expiries."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds, minutes=minutes, hours=hours)
            return self._now
