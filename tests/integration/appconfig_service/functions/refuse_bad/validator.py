"""An AppConfig LAMBDA validator: refuses content containing FORBIDDEN_WORD.

It appends each event it receives to the file named by EVENT_LOG (when set), so tests can see
exactly what AppConfig sent.
"""

import base64
import json
import os
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    log = os.environ.get("EVENT_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(json.dumps(event) + "\n")
    content = base64.b64decode(event["content"]).decode()
    word = os.environ["FORBIDDEN_WORD"]
    if word in content:
        raise ValueError(f"the configuration contains the forbidden word {word!r}")
    return {"valid": True}
