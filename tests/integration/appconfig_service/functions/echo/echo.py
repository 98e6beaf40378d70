"""Shows what the function sees: its event, environment, context, import path and warm state."""

import os
import sys
from typing import Any

STATE = {"invocations": 0}  # module state: survives warm invokes, reset by a cold start


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    STATE["invocations"] += 1
    print("this line goes to the function's log, not into the result")
    if event.get("fail"):
        raise RuntimeError(event["fail"])
    if event.get("exit"):
        sys.exit(3)
    try:
        import localcloud  # noqa: F401 - must not be importable: the function has its own path

        leaked = True
    except ImportError:
        leaked = False
    return {
        "event": event,
        "invocations": STATE["invocations"],
        "pid": os.getpid(),
        "env": {k: v for k, v in os.environ.items() if not k.startswith("AWS_SECRET")},
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "repository_importable": leaked,
        "cwd": os.getcwd(),
    }
