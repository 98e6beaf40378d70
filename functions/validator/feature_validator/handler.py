"""Lambda entry point for AWS AppConfig's LAMBDA validator.

AppConfig deploys the version only if this returns; any exception refuses it, and the exception's
message is what the deployment reports. Thin on purpose: read the event, run ``validate``, log
where the problems are (never the configuration's values) and count the outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from feature_validator.errors import FeatureFileInvalid
from feature_validator.event import InvalidEvent, request_from_event
from feature_validator.validate import validate

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    try:
        request = request_from_event(event)
        logger.append_keys(**request.log_keys(), contentBytes=len(request.content))
        validate(request.content)
    except FeatureFileInvalid as error:
        logger.warning(
            "Feature file rejected",
            extra={"problemCount": error.total, "problems": [p.location() for p in error.problems]},
        )
        metrics.add_metric(name="FeatureFileRejected", unit=MetricUnit.Count, value=1)
        raise
    except InvalidEvent:
        logger.exception("Not an AppConfig validation event")
        metrics.add_metric(name="ValidationEventInvalid", unit=MetricUnit.Count, value=1)
        raise
    logger.info("Feature file accepted")
    metrics.add_metric(name="FeatureFileAccepted", unit=MetricUnit.Count, value=1)
