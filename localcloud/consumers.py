"""A consumer function's execution environment in the local cloud: the caching extension from
the layer, started under the Extensions API sandbox as Lambda starts it, and the function's own
handler run as Lambda runs it, reading its configuration from that extension.

Each environment's extension listens on a port of its own (``AWS_APPCONFIG_EXTENSION_HTTP_PORT``,
which the function's client reads too), so several environments and tests can run side by side.
Every invocation publishes Lambda's ``Errors`` metric, from which the alarms are evaluated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localcloud.lambda_runtime.sandbox import LambdaSandbox
from localcloud.moto import free_port

if TYPE_CHECKING:
    from pathlib import Path

    from localcloud.alarms import LambdaErrorAlarms
    from localcloud.lambda_runtime.functions import Invocation, TemplateFunctions
    from localcloud.template import Resolver


class ConsumerEnvironment:
    def __init__(
        self,
        functions: TemplateFunctions,
        function: str,
        *,
        layer: Path,
        environment: dict[str, str],
        resolver: Resolver,
        alarms: LambdaErrorAlarms | None = None,
    ) -> None:
        self.function = function
        resource = resolver.template["Resources"][function]["Properties"]
        self.function_name = str(resolver.resolve(resource.get("FunctionName", function)))
        self.port = free_port()
        self._functions = functions
        self._alarms = alarms
        self._environment = {**environment, "AWS_APPCONFIG_EXTENSION_HTTP_PORT": str(self.port)}
        self._layer = layer
        self.sandbox: LambdaSandbox | None = None

    def start(self) -> ConsumerEnvironment:
        self._functions.set_environment(self.function, self._environment)
        self.sandbox = LambdaSandbox(
            self._layer, env=self._environment, function_name=self.function_name
        ).start()
        self.sandbox.wait_ready()
        return self

    def invoke(self, event: Any) -> Invocation:
        assert self.sandbox, "start() first"
        with self.sandbox.invocation():
            result = self._functions.invoke(self.function, event)
        if self._alarms:
            self._alarms.record(self.function_name, failed=result.failed)
        return result

    def pass_time(self, seconds: float) -> None:
        """Between invocations: the environment stays frozen ``seconds`` longer (see the sandbox)."""
        assert self.sandbox, "start() first"
        self.sandbox.pass_time(seconds)

    def stop(self) -> None:
        if self.sandbox:
            self.sandbox.shutdown()
            self.sandbox.close()
            self.sandbox = None
