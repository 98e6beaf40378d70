"""Sleeps as long as asked: beyond its 1-second timeout, or not."""

import base64
import time
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    # Invoked directly: {"seconds": N}; as an AppConfig validator: content "seconds: N".
    if "content" in event:
        seconds = float(base64.b64decode(event["content"]).decode().split(":")[1])
    else:
        seconds = float(event.get("seconds", 30))
    time.sleep(seconds)
    return "finished"
