"""Lambda entry point for the status function: AppConfig's deployment events and the deploy
function's failure records, both from EventBridge rules on the default bus.

Thin on purpose: recognise the event, ask AppConfig what became of the deployment, let the
pure modules name the change and the status store record it. Errors are raised, so Lambda
retries the event (EventBridge invokes asynchronously), and a retry finishes a half-done report.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from rollout_status.store import StatusStore

from status_listener import deployments, failures
from status_listener.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from rollout_status.model import Change, Uploader

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "rollout-status"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout"))
settings = Settings.from_environment()
_SDK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)


@cache
def store() -> StatusStore:
    return StatusStore(
        boto3.client("s3", config=_SDK_CONFIG),
        boto3.client("events", config=_SDK_CONFIG),
        bucket=settings.bucket,
        key=settings.key,
    )


@cache
def appconfig() -> Any:
    return boto3.client("appconfig", config=_SDK_CONFIG)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failed = failures.failed_uploads(event)
    if failed:
        gave_up = failures.change_for(event, settings.environment_name)
        ours = [u for u in failed if (u.bucket, u.key) == (settings.bucket, settings.key)]
        return {"results": [_report(u.version_id, gave_up, u.uploader) for u in ours]}
    ref = deployments.deployment_of(event, settings)
    if ref is None:
        logger.info("Not an event about this stack's deployments", extra={"source": event.get("source")})
        return {"results": []}
    deployment = appconfig().get_deployment(
        ApplicationId=ref.application_id,
        EnvironmentId=ref.environment_id,
        DeploymentNumber=ref.deployment_number,
    )
    version = str(deployment["ConfigurationVersion"])
    record, _ = store().read(version)
    current = record.environments.get(settings.environment_name) if record else None
    change = deployments.change_for(deployment, settings, current)
    if change is None:
        logger.info("Nothing new", extra={"versionId": version, "deploymentNumber": ref.deployment_number})
        return {"results": []}
    return {"results": [_report(version, change)]}


def _report(version: str, change: Change, uploader: Uploader | None = None) -> dict[str, Any]:
    reported = store().report(version, change, uploader=uploader)
    applied = reported.applied
    keys = {"versionId": version, "deploymentNumber": change.deployment_number, "status": change.status.value}
    if applied:
        metrics.add_metric(name=applied.status.metric_name, unit=MetricUnit.Count, value=1)
        logger.info(f"Version {change.status.value}: {change.reason}", extra=keys)
    else:
        logger.info(f"Already known: {change.status.value}", extra=keys)
    return {**keys, "changed": applied is not None}
