"""A validator that holds until its test opens the gate: content "gate: PATH" waits for PATH to
exist (a test creates it once it has seen what it came to see), then accepts."""

import base64
import os
import time
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    path = base64.b64decode(event["content"]).decode().split(":", 1)[1].strip()
    while not os.path.exists(path) and context.get_remaining_time_in_millis() > 100:
        time.sleep(0.01)
    return "opened"
