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

import os
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
        _record_problems(event, error)
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


def _record_problems(event: Any, error: FeatureFileInvalid) -> None:
    """Leave the problems beside the version's status record, for the deploy function to report.

    Only for the configuration objects this stack deploys (``CONFIG_BUCKET``, ``CONFIG_PREFIX``
    and each of ``CONFIGURATIONS``), and never at the cost of the refusal itself: a failed write
    is logged and the version is still refused. boto3 is imported here, on refusals only, so
    valid files keep the fast cold start.
    """
    bucket, names = os.environ.get("CONFIG_BUCKET"), os.environ.get("CONFIGURATIONS")
    if not (bucket and names and isinstance(event, dict)):
        return
    from rollout_status.locations import parse_s3_uri

    prefix = os.environ.get("CONFIG_PREFIX", "")
    keys = {prefix + name.strip() for name in names.split(",")}
    version = event.get("configurationVersion") or event.get("ConfigurationVersion")
    location = parse_s3_uri(str(event.get("uri") or event.get("Uri") or ""))
    if location is None or location[0] != bucket or location[1] not in keys or not version:
        return
    key = location[1]
    try:
        import boto3
        from botocore.config import Config
        from rollout_status.model import Problem
        from rollout_status.reports import write_report

        # AppConfig gives the whole validation 15 s: this write gets a small part of it.
        config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=3)
        problems = [Problem(p.path, p.line, p.column, p.message) for p in error.problems]
        write_report(
            boto3.client("s3", config=config), bucket, key, str(version), problems=problems, total=error.total
        )
    except Exception:  # the refusal stands whatever happens to its report
        logger.exception("Could not record the problems for the deploy function")


def _rejected(kind: str | None = None) -> None:
    metrics.add_metric(name="FeatureFileRejected", unit=MetricUnit.Count, value=1)
    if kind:
        metrics.add_metric(name=kind, unit=MetricUnit.Count, value=1)
