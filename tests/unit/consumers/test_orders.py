"""The order worker's decisions under the flags, evaluated by Powertools' real rules engine."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags
from aws_lambda_powertools.utilities.feature_flags.base import StoreProvider
from order_worker.orders import BadOrder, Order, UnsupportedProvider, fulfil, parse_order

FLAGS = {
    "payment_provider": {
        "default": "stripe",
        "boolean_type": False,
        "rules": {
            "EU orders go through Adyen": {
                "when_match": "adyen",
                "conditions": [{"action": "EQUALS", "key": "region", "value": "eu-west-1"}],
            }
        },
    },
    "free_shipping": {
        "default": False,
        "rules": {
            "premium customers": {
                "when_match": True,
                "conditions": [{"action": "EQUALS", "key": "tier", "value": "premium"}],
            }
        },
    },
}


class DocumentStore(StoreProvider):
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self.document

    def get_configuration(self) -> dict[str, Any]:
        return self.document


def order(tier: str = "standard", region: str = "us-east-1") -> Order:
    return Order("o-1", tier, region, Decimal("42.50"))


def test_flags_choose_provider_and_shipping() -> None:
    flags = FeatureFlags(store=DocumentStore(FLAGS))
    assert fulfil(order(), flags).as_dict() == {"order_id": "o-1", "provider": "stripe", "shipping": "4.99"}
    assert fulfil(order("premium", "eu-west-1"), flags).as_dict() == {
        "order_id": "o-1",
        "provider": "adyen",
        "shipping": "0.00",
    }


def test_a_provider_the_worker_cannot_charge_through_fails_the_invocation() -> None:
    harmful = {**FLAGS, "payment_provider": {"default": "paypal-v3", "boolean_type": False}}
    with pytest.raises(UnsupportedProvider, match="supported: adyen, stripe"):
        fulfil(order(), FeatureFlags(store=DocumentStore(harmful)))


@pytest.mark.parametrize(
    "body", ["not json", "{}", '{"orderId": 1, "tier": "x", "region": "y", "total": "abc"}']
)
def test_malformed_messages_are_bad_orders(body: str) -> None:
    with pytest.raises(BadOrder):
        parse_order(body)
