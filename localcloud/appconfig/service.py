"""``LocalAppConfig``: the local AWS AppConfig + AppConfigData service, in-process or standalone.

    service = LocalAppConfig(ScaledClock(60.0), s3_endpoint=moto, cloudwatch_endpoint=moto).start()
    os.environ["AWS_ENDPOINT_URL_APPCONFIG"] = service.endpoint        # and ..._APPCONFIGDATA
    service.faults.fail_next("StartDeployment", error="InternalServerException", count=2)
    service.stop()

Settings that exist only locally: the ``clock`` (``ScaledClock`` for a sped-up real clock,
``ManualClock`` for tests, typed as given so ``service.clock.advance`` type-checks),
``functions`` (who runs LAMBDA validators), and the fault rules.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import boto3
from botocore.config import Config

from localcloud.appconfig.clock import Clock, ManualClock
from localcloud.appconfig.control import ControlPlane
from localcloud.appconfig.dataplane import DataPlane
from localcloud.appconfig.errors import not_implemented
from localcloud.appconfig.faults import NO_SDK, Faults, SdkAttempt
from localcloud.appconfig.rollouts import Rollouts
from localcloud.appconfig.server import Controls, make_server
from localcloud.appconfig.state import State

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.appconfig.validators import Invoker

_log = logging.getLogger("localcloud.appconfig")
# Local calls: fail fast rather than hang a StartDeployment on a dead moto.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=10)


ClockT = TypeVar("ClockT", bound=Clock)


class LocalAppConfig(Generic[ClockT]):
    def __init__(
        self,
        clock: ClockT,
        *,
        s3_endpoint: str | None = None,
        cloudwatch_endpoint: str | None = None,
        functions: Invoker | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        tick_seconds: float = 0.2,
    ) -> None:
        self.clock = clock
        self.functions = functions
        self.faults = Faults()
        self.region = region
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the local AppConfig service binds loopback addresses only, not {host}")
        self.host = host
        self._port = port
        self._tick_seconds = tick_seconds
        self.state = State(account_id=account_id, region=region)
        self.control = ControlPlane(self.state)
        self.rollouts = Rollouts(
            self.state,
            self.clock,
            s3=cache(lambda: self._client("s3", s3_endpoint)),
            cloudwatch=cache(lambda: self._client("cloudwatch", cloudwatch_endpoint)),
            invoker=functions,
            hosted=self.control.hosted_version,
        )
        self.data = DataPlane(self.state, self.clock, self.rollouts)
        self._operations: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {}
        for service, handler in (
            ("appconfig", self.control),
            ("appconfig", self.rollouts),
            ("appconfigdata", self.data),
        ):
            for name in dir(handler):
                if name[0].isupper():
                    self._operations[(service, name)] = getattr(handler, name)
        self._server: Any = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # ---------------------------------------------------------------- lifecycle
    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the service is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> LocalAppConfig[ClockT]:
        clock: Clock = self.clock
        advance = clock.advance if isinstance(clock, ManualClock) else None
        self._server = make_server(self.call, Controls(self.faults, advance), self.host, self._port)
        self._stopping.clear()
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.2},
                name="local-appconfig-http",
                daemon=True,
            ),
            threading.Thread(target=self._tick_forever, name="local-appconfig-ticker", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        close = getattr(self.functions, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> LocalAppConfig[ClockT]:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- calls
    def call(
        self, service: str, operation: str, params: dict[str, Any], attempt: SdkAttempt = NO_SDK
    ) -> dict[str, Any]:
        """One operation, after the fault rules had their say."""
        self.faults.apply(operation, params, attempt)
        handler = self._operations.get((service, operation))
        if handler is None:
            raise not_implemented(operation)
        # Every answer reflects the clock's now: an environment's State, too, not only deployments.
        self.tick()
        return handler(params)

    def tick(self) -> None:
        """Bring deployments up to the clock now (the ticker does this on its own every few tenths)."""
        with self.state.lock:
            self.rollouts.tick()

    def _tick_forever(self) -> None:
        # Deployments advance whenever anyone looks; this thread makes alarms act even when no one does.
        while not self._stopping.wait(self._tick_seconds):
            try:
                self.tick()
            except Exception:  # the ticker must outlive any one bad tick
                _log.exception("advancing deployments failed")

    def _client(self, name: str, endpoint: str | None) -> Any:
        return boto3.client(name, region_name=self.region, endpoint_url=endpoint, config=_CLIENT_CONFIG)  # type: ignore[call-overload]
