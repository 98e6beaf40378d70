"""JSON-lines logging to stdout (Lambda sends it to CloudWatch) without the ``logging`` import cost.

Log records name configurations and outcomes, never content: a configuration may hold secrets.
"""

from __future__ import annotations

import json
import sys
import time

from appconfig_cache_extension.settings import LOG_LEVELS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

NAME = "appconfig-cache"


class Logger:
    def __init__(self, level: str = "info", stream: TextIO | None = None) -> None:
        self._threshold = LOG_LEVELS.index(level)
        self._stream = stream

    def enabled(self, level: str) -> bool:
        return LOG_LEVELS.index(level) >= self._threshold

    def log(self, level: str, message: str, **fields: Any) -> None:
        if not self.enabled(level):
            return
        record = {"timestamp": round(time.time(), 3), "level": level.upper(), "extension": NAME}
        record["message"] = message
        record.update({k: v for k, v in fields.items() if v is not None})
        stream = self._stream or sys.stdout
        stream.write(json.dumps(record, default=str) + "\n")
        stream.flush()

    def trace(self, message: str, **fields: Any) -> None:
        self.log("trace", message, **fields)

    def debug(self, message: str, **fields: Any) -> None:
        self.log("debug", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self.log("info", message, **fields)

    def warn(self, message: str, **fields: Any) -> None:
        self.log("warn", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.log("error", message, **fields)

    def fatal(self, message: str, **fields: Any) -> None:
        self.log("fatal", message, **fields)
