"""``LocalAppConfig``: the local AWS AppConfig + AppConfigData service, in-process or standalone.

    service = LocalAppConfig(ScaledClock(60.0), s3_endpoint=moto, cloudwatch_endpoint=moto,
                             endpoints={"events": moto, "kms": moto, "sqs": moto, "sns": moto}).start()
    os.environ["AWS_ENDPOINT_URL_APPCONFIG"] = service.endpoint        # and ..._APPCONFIGDATA
    service.faults.fail_next("StartDeployment", error="InternalServerException", count=2)
    service.stop()

Settings that exist only locally: the ``clock`` (``ScaledClock`` for a sped-up real clock,
``ManualClock`` for tests, typed as given so ``service.clock.advance`` type-checks),
``functions`` (who runs LAMBDA validators), the endpoints of the AWS services AppConfig itself
calls (S3, CloudWatch, KMS, EventBridge, SQS, SNS: moto's), and the fault rules.

Each request is served by the Region its signature is scoped to (``signing``), so resources,
ARNs and events follow the caller's Region as they do in AWS; ``region`` serves unsigned requests.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import boto3
from botocore.config import Config

from localcloud.appconfig.clock import Clock, ManualClock
from localcloud.appconfig.errors import not_implemented
from localcloud.appconfig.faults import Faults
from localcloud.appconfig.region import Region
from localcloud.appconfig.server import Controls, make_server
from localcloud.iam.accounts import Accounts
from localcloud.iam.appconfig_hooks import AppConfigIam

if TYPE_CHECKING:
    from collections.abc import Mapping

    from localcloud.appconfig.state import State
    from localcloud.appconfig.validators import Invoker
    from localcloud.appconfig.wire import Request

_log = logging.getLogger("localcloud.appconfig")
# Local calls: fail fast rather than hang a StartDeployment on a dead moto.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=10)


ClockT = TypeVar("ClockT", bound=Clock)
CALLED_SERVICES = ("kms", "events", "sqs", "sns")
"""The AWS services besides S3 and CloudWatch that AppConfig itself calls (the ``endpoints`` keys)."""


class LocalAppConfig(Generic[ClockT]):
    def __init__(
        self,
        clock: ClockT,
        *,
        s3_endpoint: str | None = None,
        cloudwatch_endpoint: str | None = None,
        endpoints: Mapping[str, str] | None = None,
        functions: Invoker | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        tick_seconds: float = 0.2,
    ) -> None:
        """``endpoints``: service name (``kms``, ``events``, ``sqs``, ``sns``) -> endpoint URL."""
        self.clock = clock
        self.functions = functions
        self.faults = Faults()
        self.region = region
        self.account_id = account_id
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the local AppConfig service binds loopback addresses only, not {host}")
        self.host = host
        self._port = port
        self._tick_seconds = tick_seconds
        self._endpoints: dict[str, str | None] = {
            **(endpoints or {}),
            "s3": s3_endpoint,
            "cloudwatch": cloudwatch_endpoint,
        }
        self.iam = AppConfigIam(Accounts(account_id, region), data=lambda name: self.in_region(name).data)
        self._session = boto3.session.Session()
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._regions: dict[str, Region] = {}
        self._lock = threading.Lock()
        self._server: Any = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.in_region(region)

    def in_region(self, name: str) -> Region:
        """The service as seen from one Region (made on first use, as every Region exists in AWS)."""
        with self._lock:
            region = self._regions.get(name)
            if region is None:
                region = Region(
                    name,
                    account_id=self.account_id,
                    clock=self.clock,
                    client=self._client,
                    invoker=self.functions,
                )
                self._regions[name] = region
            return region

    @property
    def state(self) -> State:
        """The resources of the default Region."""
        return self.in_region(self.region).state

    # ---------------------------------------------------------------- lifecycle
    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the service is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> LocalAppConfig[ClockT]:
        clock: Clock = self.clock
        advance = clock.advance if isinstance(clock, ManualClock) else None
        self._server = make_server(
            self.call,
            Controls(self.faults, advance, clock.now),
            self.host,
            self._port,
            authorize=self.iam.authorize,
        )
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
    def call(self, request: Request) -> dict[str, Any]:
        """One operation in the request's Region, after the fault rules had their say."""
        self.faults.apply(request.operation, request.params, request.attempt)
        region = self.in_region(request.region or self.region)
        handler = region.operations.get((request.service, request.operation))
        if handler is None:
            raise not_implemented(request.operation)
        # Every answer reflects the clock's now: an environment's State, too, not only deployments.
        region.tick()
        try:
            return handler(request.params)
        finally:
            # A StartDeployment or StopDeployment changed state: its notifications go now.
            region.notifier.deliver()

    def tick(self) -> None:
        """Bring deployments up to the clock now (the ticker does this on its own every few tenths)."""
        with self._lock:
            regions = list(self._regions.values())
        for region in regions:
            region.tick()

    def _tick_forever(self) -> None:
        # Deployments advance whenever anyone looks; this thread makes alarms act even when no one does.
        while not self._stopping.wait(self._tick_seconds):
            try:
                self.tick()
            except Exception:  # the ticker must outlive any one bad tick
                _log.exception("advancing deployments failed")

    def _client(self, name: str, region: str, role_arn: str | None = None) -> Any:
        """One boto3 client per service, Region and identity, made once (client creation is not
        thread-safe). With ``role_arn``, AppConfig's own call goes out with a session of the
        customer's role, assumed as appconfig.amazonaws.com; without it, as the local account's
        administrator (a monitor may leave out its AlarmRoleArn, which the API marks optional,
        and AWS does not say whose permissions then read the alarm). Raises PermissionError when
        the role's trust policy refuses AppConfig."""
        credentials = self.iam.credentials(role_arn) if role_arn else None
        key = (name, region, credentials.access_key_id if credentials else "")
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(  # type: ignore[call-overload]
                    name,
                    region_name=region,
                    endpoint_url=self._endpoints.get(name),
                    config=_CLIENT_CONFIG,
                    **(credentials.client_arguments() if credentials else {}),
                )
                self._clients[key] = client
            return client
