"""Lambda entry point: the deploy queue's requests -> AppConfig StartDeployment, stage by stage.

The queue is FIFO with one message group per stage, read with a batch size of one: each stage
hands over one request at a time, in order. Each request ends in a named outcome, logged and
counted, and its status reported; the response's ``batchItemFailures``
(``ReportBatchItemFailures``) names the requests that stay on the queue:

* one that must wait for another configuration's deployment in its stage (``waiting``): its
  visibility is extended to that deployment's remaining time, so it stays in flight, holding
  back only its own stage, and comes back when the stage should be free. Waiting is not an
  error: the invocation succeeds, and no function runs meanwhile;
* one that failed for a reason a retry may cure (throttling, AppConfig's server errors): it
  comes back after a backoff; on the last receive the redrive policy allows, its version is
  marked ``failed`` first, and SQS then moves the request to the failure queue.

A later request of the same stage in the same batch waits with it, to keep the stage's order.
Anything that is not a request ends in a named outcome without an AWS call.
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

from deployer.aws import S3ObjectVersions
from deployer.errors import RetryableError
from deployer.outcomes import Outcome, Result
from deployer.requests import Request, requests_from_event
from deployer.settings import Settings
from deployer.stages import StageDeployer, environment_of
from deployer.statuses import VersionStatuses
from deployer.uploads import NotAnUpload, items_from_event

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from rollout_status.model import Entry

    from deployer.stages import Decision

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "config-deployer"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ConfigRollout"))
# No Powertools Tracer: the X-Ray SDK builds a botocore client while it imports (about as long
# as importing boto3), which would nearly double this function's cold start. The template's
# `Tracing: Active` still records every invocation, its init and its duration in X-Ray.

# The SDK's own retries absorb short throttling; what outlasts them is left to the queue.
_SDK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
BACKOFF_FIRST, BACKOFF_MAX = 10, 300
"""Seconds before a failed request comes back: doubling from the first, up to the most."""

# Read at init: a missing variable fails Init with its name rather than every invocation.
settings = Settings.from_environment(os.environ)


@cache
def clients() -> tuple[Any, Any, Any, Any]:
    """S3, AppConfig, EventBridge and SQS, built once per execution environment."""
    return tuple(boto3.client(name, config=_SDK_CONFIG) for name in ("s3", "appconfig", "events", "sqs"))  # type: ignore[return-value]


@cache
def statuses() -> VersionStatuses:
    s3, _, events, _ = clients()
    bucket = settings.bucket

    @cache
    def store_for(key: str) -> StatusStore:
        return StatusStore(s3, events, bucket=bucket, key=key)

    return VersionStatuses(store_for, s3, on_change=_count_status)


@cache
def deployer() -> StageDeployer:
    """Endpoints come from AWS_ENDPOINT_URL_* if set."""
    s3, appconfig, _, _ = clients()
    return StageDeployer(
        settings.layout,
        S3ObjectVersions(s3),
        appconfig,
        strategy_id=settings.strategy_id,
        kms_key_identifier=settings.kms_key_identifier,
        sleep=time.sleep,
        before_stop=statuses().before_stop,
    )


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    requests = requests_from_event(event)
    if requests is None:
        return _direct(event)
    failures: list[dict[str, str]] = []
    results: list[dict[str, Any]] = []
    waiting: dict[str, int] = {}
    """Stage -> seconds: a stage whose request stays in flight; its later requests wait as long."""
    for request in requests:
        logger.append_keys(**request.item.log_keys(), stage=request.stage, deploymentNumber=None)
        if request.stage in waiting:
            _hold(request, waiting[request.stage])
            failures.append({"itemIdentifier": request.message_id})
            continue
        held = _handle(request, results)
        if held is not None:
            waiting[request.stage] = held
            failures.append({"itemIdentifier": request.message_id})
    logger.remove_keys(["bucket", "key", "versionId", "stage", "deploymentNumber"])
    return {"batchItemFailures": failures, "results": results}


def _direct(event: dict[str, Any]) -> dict[str, Any]:
    """An event straight from S3 or EventBridge (``sam local invoke``, or a user's own wiring):
    each upload is a request into the first stage, decided now. With no queue to hold it, a
    request that must wait, or may succeed later, is raised for Lambda's retries instead."""
    results: list[dict[str, Any]] = []
    retry: list[str] = []
    first = settings.layout.first.name
    for item in items_from_event(event):
        # None-valued keys are left out of log lines until the deployment number is known.
        logger.append_keys(**item.log_keys(), stage=first, deploymentNumber=None)
        if isinstance(item, NotAnUpload):
            _report(item.result())
            results.append({**item.log_keys(), **item.result().as_dict()})
            continue
        request = Request(message_id="", receipt_handle="", stage=first, receive_count=1, item=item)
        try:
            decision = _decide(request)
        except (RetryableError, StoreBusy, BotoCoreError, ClientError) as error:
            logger.warning("Deployment will be retried", extra={"error": str(error)})
            metrics.add_metric(name="UploadsRetried", unit=MetricUnit.Count, value=1)
            retry.append(f"{item.key}@{item.version_id}: {error}")
            continue
        _report(decision.result)
        if decision.result.outcome is Outcome.WAITING:
            retry.append(f"{item.key}@{item.version_id}: {decision.result.reason}")
            continue
        results.append({**item.log_keys(), **decision.result.as_dict()})
    logger.remove_keys(["bucket", "key", "versionId", "stage", "deploymentNumber"])
    if retry:
        raise RetryableError("; ".join(retry))
    return {"results": results}


def _decide(request: Request) -> Decision:
    decision = deployer().decide(request)
    environment = decision.environment
    item = request.item
    if environment is not None and not isinstance(item, NotAnUpload) and decision.configuration:
        # Told before the outcome is logged: a failed status write is retried with the request.
        statuses().report(item, environment, decision.result)
    return decision


def _handle(request: Request, results: list[dict[str, Any]]) -> int | None:
    """Decide and report one request; the seconds it stays on the queue, or None when it is done."""
    try:
        decision = _decide(request)
    except (RetryableError, StoreBusy, BotoCoreError, ClientError) as error:
        return _retry(request, error)
    result = decision.result
    _report(result)
    results.append({**request.item.log_keys(), "stage": request.stage, **result.as_dict()})
    if result.outcome is Outcome.WAITING:
        seconds = int(result.details["holdSeconds"])
        _hold(request, seconds)
        return seconds
    return None


def _retry(request: Request, error: Exception) -> int:
    seconds: int = min(BACKOFF_FIRST << max(request.receive_count - 1, 0), BACKOFF_MAX)
    last = request.receive_count >= settings.max_receives
    logger.warning(
        "Request will be retried" if not last else "Request failed on its last attempt: to the failure queue",
        extra={"error": str(error), "receiveCount": request.receive_count},
    )
    metrics.add_metric(name="UploadsRetried", unit=MetricUnit.Count, value=1)
    layout = settings.layout
    item, stage = request.item, layout.stage(request.stage)
    if last and stage is not None and not isinstance(item, NotAnUpload) and layout.configuration(item.key):
        reason = (
            f"gave up after {request.receive_count} attempts: {type(error).__name__}: {error}; "
            "the request waits on the failure queue for a replay"
        )
        try:
            statuses().failed(item, environment_of(stage, layout.application_id), " ".join(reason.split()))
        except (StoreBusy, BotoCoreError, ClientError):
            logger.exception("Could not mark the version failed")
    _hold(request, seconds)
    return seconds


def _hold(request: Request, seconds: int) -> None:
    """Leave the request in flight for ``seconds``: its stage's group is blocked until then."""
    _, _, _, sqs = clients()
    try:
        sqs.change_message_visibility(
            QueueUrl=settings.queue_url,
            ReceiptHandle=request.receipt_handle,
            VisibilityTimeout=seconds,
        )
    except (BotoCoreError, ClientError):
        # The queue's own visibility timeout brings it back instead: later, never lost.
        logger.exception("Could not extend the request's visibility")


def _count_status(entry: Entry) -> None:
    metrics.add_metric(name=entry.status.metric_name, unit=MetricUnit.Count, value=1)


def _report(result: Result) -> None:
    logger.append_keys(deploymentNumber=result.deployment_number)
    log = logger.error if result.outcome.is_error else logger.info
    log(f"Request {result.outcome.value}: {result.reason}", extra={"outcome": result.outcome.value})
    metrics.add_metric(name=result.outcome.metric_name, unit=MetricUnit.Count, value=1)
