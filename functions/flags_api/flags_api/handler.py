"""Lambda entry point: GET ?user=&tier=&region= -> every flag evaluated for that caller.

Thin: parse the caller, ask the extension to evaluate every flag for that context (Powertools'
rules, in the extension), shape the response. The function imports neither the AWS SDK's
clients nor Powertools' feature-flags package, and parses no configuration itself. A
configuration that is not a valid feature flags document raises, so the function's error metric
(and the alarm that AppConfig watches) sees it; flags not available yet are a 503.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from appconfig_cache.flags import ExtensionFlags, FlagsUnavailable
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.lambda_function_url_event import LambdaFunctionUrlEvent
from function_settings.consumer import Settings

from flags_api.caller import BadCaller, caller_from_query

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "flags-api"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout"))
settings = Settings.from_environment(os.environ)  # at init: a missing variable fails Init
flags = ExtensionFlags(settings.application, settings.environment, settings.profile)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = LambdaFunctionUrlEvent(event)
    if request.request_context.http.method != "GET":
        return _response(405, {"message": "only GET is supported"})
    try:
        caller = caller_from_query(request.query_string_parameters)
    except BadCaller as error:
        return _response(400, {"message": str(error)})
    try:
        evaluated = flags.evaluate_all(context=caller.as_context())
    except FlagsUnavailable:
        logger.exception("Feature flags are not available")
        return _response(503, {"message": "feature flags are not available yet"})
    metrics.add_metric(name="FlagsEvaluated", unit=MetricUnit.Count, value=1)
    logger.info("Flags evaluated", extra={"flagCount": len(evaluated), "tier": caller.tier})
    return _response(200, {"context": caller.as_context(), "flags": dict(sorted(evaluated.items()))})


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
