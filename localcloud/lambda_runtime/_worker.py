"""One Lambda execution environment: run as ``python -I _worker.py CODE_DIR HANDLER``.

Started by ``localcloud.lambda_runtime.functions``; imports nothing from the repository. Init (the handler's
module import) happens once, as in Lambda's Init phase; then one JSON line per invoke comes in on
stdin and one JSON line goes out on the protocol pipe. The handler's own stdout is redirected to
stderr, which is the function's log stream, so a print() never corrupts the protocol.
"""

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class Context:
    """The attributes of Lambda's Python context object that handlers and Powertools read."""

    def __init__(self, request_id: str, deadline_ms: float) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = (
            f"arn:aws:lambda:{env.get('AWS_REGION', 'us-east-1')}:123456789012:function:{self.function_name}"
        )
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_exception(type(error), error, error.__traceback__)[1:],
    }


def main() -> None:
    code_dir, handler = sys.argv[1], sys.argv[2]
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    extra = [p for p in os.environ.get("LOCALCLOUD_LAYER_PATHS", "").split(os.pathsep) if p]
    sys.path[:0] = [code_dir, *extra]
    os.chdir(code_dir)
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        function = getattr(module, function_name)
    except Exception as error:  # Lambda reports import errors as Runtime.* errors
        kind = "Runtime.ImportModuleError" if isinstance(error, ImportError) else "Runtime.HandlerNotFound"
        if not isinstance(error, (ImportError, AttributeError)):
            kind = "Runtime.UserCodeSyntaxError" if isinstance(error, SyntaxError) else type(error).__name__
        message = f"Unable to import module '{module_name}': {error}"
        protocol.write(
            json.dumps({"ready": False, "error": {"errorMessage": message, "errorType": kind}}) + "\n"
        )
        return
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        context = Context(request["request_id"], request["deadline_ms"])
        try:
            result = function(request["event"], context)
        except SystemExit as error:
            message = (
                f"RequestId: {request['request_id']} Error: Runtime exited with error: exit {error.code}"
            )
            protocol.write(
                json.dumps(
                    {"ok": False, "error": {"errorMessage": message, "errorType": "Runtime.ExitError"}}
                )
                + "\n"
            )
            return
        except Exception as error:  # the function's error, as Lambda reports it
            protocol.write(json.dumps({"ok": False, "error": _error(error)}, default=str) + "\n")
            continue
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as error:
            protocol.write(
                json.dumps(
                    {
                        "ok": False,
                        "error": {
                            "errorMessage": f"Unable to marshal response: {error}",
                            "errorType": "Runtime.MarshalError",
                        },
                    }
                )
                + "\n"
            )
            continue
        protocol.write(json.dumps({"ok": True, "result": payload}) + "\n")


if __name__ == "__main__":
    main()
