"""Lambda entry point: GET ?user=&tier=&region= -> every flag evaluated for that caller.

Thin: parse the caller, evaluate with FeatureFlags over the extension store, shape the response.
A configuration that FeatureFlags cannot evaluate raises, so the function's error metric (and
the alarm that AppConfig watches) sees it; a configuration not yet available is a 503.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from appconfig_cache.feature_flags import ExtensionStore
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.lambda_function_url_event import LambdaFunctionUrlEvent
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags
from aws_lambda_powertools.utilities.feature_flags.exceptions import ConfigurationStoreError

from flags_api.caller import BadCaller, caller_from_query
from flags_api.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "flags-api"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout"))
settings = Settings.from_environment(os.environ)  # at init: a missing variable fails Init
store = ExtensionStore(settings.application, settings.environment, settings.profile)
flags = FeatureFlags(store=store)


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
        document = store.get_configuration()
    except ConfigurationStoreError:
        logger.exception("Feature flags are not available")
        return _response(503, {"message": "feature flags are not available yet"})
    evaluated = {
        name: flags.evaluate(name=name, context=caller.as_context(), default=False)
        for name in sorted(document)
    }
    metrics.add_metric(name="FlagsEvaluated", unit=MetricUnit.Count, value=1)
    logger.info("Flags evaluated", extra={"flagCount": len(evaluated), "tier": caller.tier})
    return _response(200, {"context": caller.as_context(), "flags": evaluated})


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
