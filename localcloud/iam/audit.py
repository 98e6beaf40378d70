"""Every AccessDenied the local cloud gave, in order: what tests read to see which call was refused."""

from __future__ import annotations

import threading


class Denials:
    def __init__(self) -> None:
        self._messages: list[str] = []
        self._lock = threading.Lock()

    def record(self, message: str) -> None:
        with self._lock:
            self._messages.append(message)

    def mark(self) -> int:
        with self._lock:
            return len(self._messages)

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return list(self._messages[mark:])


DENIALS = Denials()
"""The process's log (moto, the local AppConfig service and AssumeRole all run in-process)."""
