"""Lambda entry point for AWS AppConfig's LAMBDA validator.

AppConfig deploys the version only if this returns; any exception refuses it, and the exception's
message is what the deployment reports. Thin on purpose: read the event, run ``validate``, log
where the problems are (never the configuration's values) and count the outcome. Every refusal
counts in ``FeatureFileRejected``, whatever its cause; an event that is not a validation request
also counts in ``ValidationEventInvalid``, and a failure of the validator itself (none is known:
the fuzz tests hold it to that) in ``ValidatorFailed``, refused with a message that holds nothing
of the file.
"""

from __future__ import annotations

import traceback
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


class ValidatorFailed(RuntimeError):
    """The validator itself failed: the file is refused, since nothing vouches for it."""


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
        _rejected()
        raise
    except InvalidEvent:
        logger.exception("Not an AppConfig validation event")
        _rejected("ValidationEventInvalid")
        raise
    except Exception as error:
        # The exception's text and the traceback's locals may quote the file: log where, not what.
        where = traceback.extract_tb(error.__traceback__)[-1]
        logger.error(
            "Validator failed",
            extra={"errorType": type(error).__name__, "where": f"{where.filename}:{where.lineno}"},
        )
        _rejected("ValidatorFailed")
        raise ValidatorFailed(
            f"the validator failed on this file ({type(error).__name__}); it is refused"
        ) from None
    logger.info("Feature file accepted")
    metrics.add_metric(name="FeatureFileAccepted", unit=MetricUnit.Count, value=1)


def _rejected(kind: str | None = None) -> None:
    metrics.add_metric(name="FeatureFileRejected", unit=MetricUnit.Count, value=1)
    if kind:
        metrics.add_metric(name=kind, unit=MetricUnit.Count, value=1)
