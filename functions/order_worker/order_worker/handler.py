"""Lambda entry point: SQS batch of orders -> each fulfilled under the flags in force.

The flags are evaluated by the extension (Powertools' rules, for each order's context), so the
worker imports neither the AWS SDK's clients nor Powertools' feature-flags package. A malformed
message is a batch item failure (SQS retries it alone). A configuration the worker cannot
honour fails the whole invocation, on purpose: see ``orders.UnsupportedProvider``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from appconfig_cache.flags import ExtensionFlags
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSEvent
from function_settings.consumer import Settings

from order_worker.orders import BadOrder, fulfil, parse_order

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "order-worker"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout"))
settings = Settings.from_environment(os.environ)  # at init: a missing variable fails Init
flags = ExtensionFlags(settings.application, settings.environment, settings.profile)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failures: list[dict[str, str]] = []
    fulfilled: list[dict[str, str]] = []
    for record in SQSEvent(event).records:
        try:
            order = parse_order(record.body)
        except BadOrder as error:
            logger.warning(str(error), extra={"messageId": record.message_id})
            failures.append({"itemIdentifier": record.message_id})
            continue
        fulfilled.append(fulfil(order, flags).as_dict())  # UnsupportedProvider propagates
    metrics.add_metric(name="OrdersFulfilled", unit=MetricUnit.Count, value=len(fulfilled))
    logger.info("Batch handled", extra={"fulfilled": len(fulfilled), "failed": len(failures)})
    return {"batchItemFailures": failures, "fulfilled": fulfilled}
