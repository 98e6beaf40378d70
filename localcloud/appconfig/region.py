"""One Region of the service: its resources, the operations on them, and the outbox of its extensions.

AppConfig is a regional service: an application made in eu-west-1 has an eu-west-1 ARN and is not
seen from us-east-1 (https://docs.aws.amazon.com/general/latest/gr/appconfig.html lists one
endpoint per Region). The service keeps one ``Region`` per Region its callers sign for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localcloud.appconfig.control import ControlPlane
from localcloud.appconfig.dataplane import DataPlane
from localcloud.appconfig.extensions import Extensions
from localcloud.appconfig.notifications import Notifier
from localcloud.appconfig.rollouts import Rollouts
from localcloud.appconfig.state import State

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.appconfig.clock import Clock
    from localcloud.appconfig.validators import Invoker


class Region:
    def __init__(
        self,
        name: str,
        *,
        account_id: str,
        clock: Clock,
        client: Callable[..., Any],
        invoker: Invoker | None,
    ) -> None:
        """``client(service, region, role_arn=None)``: a boto3 client of the AWS service AppConfig
        calls, as AppConfig itself or (``role_arn``) with a session of the customer's role."""
        self.name = name
        self.state = State(account_id=account_id, region=name)
        self.notifier = Notifier(client, self.state.lock)
        self.extensions = Extensions(self.state, self.notifier.post)
        self.control = ControlPlane(self.state, kms=lambda: client("kms", name))
        self.rollouts = Rollouts(
            self.state,
            clock,
            s3=lambda role: client("s3", name, role),
            cloudwatch=lambda role: client("cloudwatch", name, role),
            kms=lambda: client("kms", name),
            invoker=invoker,
            hosted=self.control.hosted_version,
            extensions=self.extensions,
        )
        self.data = DataPlane(self.state, clock, self.rollouts)
        self.operations: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {}
        for service, handler in (
            ("appconfig", self.control),
            ("appconfig", self.rollouts),
            ("appconfig", self.extensions),
            ("appconfigdata", self.data),
        ):
            for attribute in dir(handler):
                if attribute[0].isupper():
                    self.operations[(service, attribute)] = getattr(handler, attribute)

    def tick(self) -> None:
        """Bring deployments up to the clock's now, then deliver what their transitions posted."""
        with self.state.lock:
            self.rollouts.tick()
        self.notifier.deliver()


__all__ = ["Region"]
