"""Lambda entry point for the status function: AppConfig's deployment events, from an
EventBridge rule on the default bus, for every stage of the application.

Thin on purpose: recognise the event, ask AppConfig what became of the deployment, let the
pure modules name the change and the status store record it; when a version completed a stage,
promote it (``promotions``). Errors are raised, so Lambda retries the event (EventBridge invokes
asynchronously), and a retry finishes a half-done report: the promotion request is deduplicated
by the queue, the statuses by the records.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from rollout_status.requests import send_promotion
from rollout_status.store import StatusStore

from status_listener import deployments, promotions
from status_listener.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from rollout_status.layout import Configuration, Stage
    from rollout_status.model import Change, EnvironmentStatus

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "rollout-status"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout"))
settings = Settings.from_environment()
_SDK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_SDK_CONFIG)  # type: ignore[call-overload]


@cache
def store(key: str) -> StatusStore:
    return StatusStore(client("s3"), client("events"), bucket=settings.layout.bucket, key=key)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    layout = settings.layout
    ref = deployments.deployment_of(event, layout)
    stage = layout.stage_of_environment(ref.environment_id) if ref else None
    if ref is None or stage is None:
        logger.info("Not an event about this stack's deployments", extra={"source": event.get("source")})
        return {"results": []}
    deployment = client("appconfig").get_deployment(
        ApplicationId=ref.application_id,
        EnvironmentId=ref.environment_id,
        DeploymentNumber=ref.deployment_number,
    )
    configuration = layout.configuration_of_profile(str(deployment.get("ConfigurationProfileId", "")))
    if configuration is None:
        logger.info(
            "A deployment of another configuration", extra={"deploymentNumber": ref.deployment_number}
        )
        return {"results": []}
    version = str(deployment["ConfigurationVersion"])
    environment = deployments.StageEnvironment(stage.name, layout.application_id, stage.environment_id)
    change = deployments.change_for(
        deployment, environment, lambda: _status_in(configuration.key, version, stage)
    )
    results = []
    if change is not None:
        results.append(_report(configuration.key, version, change))
    else:
        logger.info("Nothing new", extra={"versionId": version, "deploymentNumber": ref.deployment_number})
    if deployment.get("State") == "COMPLETE":
        results += _promote(configuration, stage, version, ref.deployment_number)
    return {"results": results}


def _status_in(key: str, version: str, stage: Stage) -> EnvironmentStatus | None:
    record, _ = store(key).read(version)
    return record.environments.get(stage.name) if record else None


def _promote(configuration: Configuration, stage: Stage, version: str, number: int) -> list[dict[str, Any]]:
    promotion = promotions.promotion_after(
        settings.layout, stage, version, number, settings.promotion_approval
    )
    if promotion is None:
        return []
    results = []
    replaced = _replaced(configuration, stage, number)
    if replaced is not None and replaced != version:
        waiting, _ = store(configuration.key).read(replaced)
        status = waiting.environments.get(promotion.to.name) if waiting else None
        if status is not None and status.status.value == "pending":
            change = promotions.overtaken(settings.layout, promotion.to, version, stage)
            results.append(_report(configuration.key, replaced, change))
    if promotion.queue:
        send_promotion(
            client("sqs"),
            settings.deploy_queue_url,
            bucket=settings.layout.bucket,
            key=configuration.key,
            version_id=version,
            to=promotion.to.name,
            by=promotions.BY,
        )
        logger.info("Promoted", extra={"versionId": version, "to": promotion.to.name})
    results.append(_report(configuration.key, version, promotion.pending))
    return results


def _replaced(configuration: Configuration, stage: Stage, number: int) -> str | None:
    """The version that was in service in the stage before deployment ``number`` completed."""
    paginator = client("appconfig").get_paginator("list_deployments")
    pages = paginator.paginate(
        ApplicationId=settings.layout.application_id, EnvironmentId=stage.environment_id
    )
    for page in pages:
        for item in page.get("Items", []):
            earlier = int(item["DeploymentNumber"]) < number
            if (
                earlier
                and item.get("ConfigurationName") == configuration.name
                and item.get("State") == "COMPLETE"
            ):
                return str(item["ConfigurationVersion"])
    return None


def _report(key: str, version: str, change: Change) -> dict[str, Any]:
    reported = store(key).report(version, change)
    applied = reported.applied
    keys = {
        "key": key,
        "versionId": version,
        "environment": change.environment,
        "deploymentNumber": change.deployment_number,
        "status": change.status.value,
    }
    if applied:
        metrics.add_metric(name=applied.status.metric_name, unit=MetricUnit.Count, value=1)
        logger.info(f"Version {change.status.value} in {change.environment}: {change.reason}", extra=keys)
    else:
        logger.info(f"Already known: {change.status.value} in {change.environment}", extra=keys)
    return {**keys, "changed": applied is not None}
