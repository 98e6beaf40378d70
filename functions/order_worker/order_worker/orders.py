"""Pure logic: how one order is fulfilled under the flags in force."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

SUPPORTED_PROVIDERS = frozenset({"stripe", "adyen"})
STANDARD_SHIPPING = Decimal("4.99")


class Flags(Protocol):
    def evaluate(self, *, name: str, context: dict[str, Any] | None = None, default: Any) -> Any: ...


class BadOrder(ValueError):
    """One malformed message: reported as a batch item failure, the others go on."""


class UnsupportedProvider(RuntimeError):
    """The configuration names a payment provider this code cannot charge through.

    Every order would fail the same way, so the whole invocation fails: the function's errors
    trip the alarm that AppConfig watches, and the deployment rolls back.
    """


@dataclass(frozen=True)
class Order:
    order_id: str
    tier: str
    region: str
    total: Decimal

    def context(self) -> dict[str, Any]:
        return {"tier": self.tier, "region": self.region, "total": float(self.total)}


@dataclass(frozen=True)
class Fulfilment:
    order_id: str
    provider: str
    shipping: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def parse_order(body: str) -> Order:
    try:
        data = json.loads(body)
        return Order(
            str(data["orderId"]), str(data["tier"]), str(data["region"]), Decimal(str(data["total"]))
        )
    except (ValueError, KeyError, TypeError, InvalidOperation) as error:
        raise BadOrder(f"malformed order message: {error.__class__.__name__}") from error


def fulfil(order: Order, flags: Flags) -> Fulfilment:
    provider = flags.evaluate(name="payment_provider", context=order.context(), default="stripe")
    if provider not in SUPPORTED_PROVIDERS:
        raise UnsupportedProvider(
            f"payment_provider names a provider this worker does not support "
            f"(supported: {', '.join(sorted(SUPPORTED_PROVIDERS))})"
        )
    free = flags.evaluate(name="free_shipping", context=order.context(), default=False)
    return Fulfilment(order.order_id, str(provider), "0.00" if free is True else str(STANDARD_SHIPPING))
