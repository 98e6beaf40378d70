"""Lambda entry point: S3's "Object Created" event (through EventBridge, or an S3 notification
record) -> AppConfig StartDeployment for the exact versionId.

Thin on purpose: parse the event, let ``Rollout`` decide each upload, log and count the outcome.
Retryable failures are raised after every record has been handled, so Lambda's async retries
(and then the on-failure queue) see them; records already deployed become duplicates on retry.
Anything that is not an upload ends in a named outcome without an AWS call.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from rollout_status.store import StatusStore, StoreBusy

from deployer.aws import AppConfigDeployments, S3ObjectVersions
from deployer.errors import RetryableError
from deployer.rollout import Rollout, Target
from deployer.settings import Settings
from deployer.statuses import Environment, VersionStatuses
from deployer.uploads import NotAnUpload, items_from_event

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from rollout_status.model import Entry

    from deployer.outcomes import Result

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "config-deployer"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout"))
# No Powertools Tracer: the X-Ray SDK builds a botocore client while it imports (about as long
# as importing boto3), which would nearly double this function's cold start. The template's
# `Tracing: Active` still records every invocation, its init and its duration in X-Ray.

# The SDK's own retries absorb short throttling; what outlasts them is left to Lambda's retries.
_SDK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
# Read at init: a missing variable fails Init with its name rather than every invocation.
settings = Settings.from_environment(os.environ)


@cache
def statuses() -> VersionStatuses:
    s3 = boto3.client("s3", config=_SDK_CONFIG)
    store = StatusStore(
        s3, boto3.client("events", config=_SDK_CONFIG), bucket=settings.bucket, key=settings.key
    )
    environment = Environment(
        name=settings.environment_name,
        application_id=settings.application_id,
        environment_id=settings.environment_id,
    )
    return VersionStatuses(store, s3, environment, on_change=_count_status)


@cache
def rollout() -> Rollout:
    """Built once per execution environment; endpoints come from AWS_ENDPOINT_URL_* if set."""
    return Rollout(
        Target(bucket=settings.bucket, key=settings.key, profile_id=settings.profile_id),
        S3ObjectVersions(boto3.client("s3", config=_SDK_CONFIG)),
        AppConfigDeployments(
            boto3.client("appconfig", config=_SDK_CONFIG),
            application_id=settings.application_id,
            environment_id=settings.environment_id,
            profile_id=settings.profile_id,
            strategy_id=settings.strategy_id,
            kms_key_identifier=settings.kms_key_identifier,
        ),
        sleep=time.sleep,
        before_stop=statuses().before_stop,
    )


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    retry: list[str] = []
    for item in items_from_event(event):
        # None-valued keys are left out of log lines until the deployment number is known.
        logger.append_keys(**item.log_keys(), deploymentNumber=None)
        if isinstance(item, NotAnUpload):
            _report(item.result())
            results.append({**item.log_keys(), **item.result().as_dict()})
            continue
        upload = item
        try:
            result = rollout().decide(upload)
            # Told before the outcome is logged: a failed status write is retried with the event.
            statuses().report(upload, result)
        except (RetryableError, StoreBusy, BotoCoreError, ClientError) as error:
            logger.warning("Deployment will be retried", extra={"error": str(error)})
            metrics.add_metric(name="UploadsRetried", unit=MetricUnit.Count, value=1)
            retry.append(f"{upload.key}@{upload.version_id}: {error}")
            continue
        _report(result)
        results.append({**upload.log_keys(), **result.as_dict()})
    logger.remove_keys(["bucket", "key", "versionId", "deploymentNumber"])
    if retry:
        raise RetryableError("; ".join(retry))
    return {"results": results}


def _count_status(entry: Entry) -> None:
    metrics.add_metric(name=entry.status.metric_name, unit=MetricUnit.Count, value=1)


def _report(result: Result) -> None:
    logger.append_keys(deploymentNumber=result.deployment_number)
    log = logger.error if result.outcome.is_error else logger.info
    log(f"Upload {result.outcome.value}: {result.reason}", extra={"outcome": result.outcome.value})
    metrics.add_metric(name=result.outcome.metric_name, unit=MetricUnit.Count, value=1)
