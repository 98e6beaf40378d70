"""Nothing is lost: an upload whose deployment keeps failing is retried by Lambda, then kept on
the failure queue with the event and the error, ready to be replayed."""

from __future__ import annotations

import json

from localcloud.pipeline import LocalPipeline


def test_an_upload_that_cannot_be_deployed_lands_on_the_failure_queue_with_its_reason() -> None:
    with LocalPipeline(time_scale=600) as cloud:
        cloud.appconfig.faults.fail_next("StartDeployment", error="InternalServerException", count=None)
        version = cloud.upload(b'{"banner": {"default": true}}')
        assert cloud.invoker.drain(timeout=60)

        (event,) = cloud.deploy_events()
        assert event.outcome == "failed"
        assert len(event.attempts) == 3  # the first try and Lambda's two retries
        queue = cloud.stack.ref("DeployFailureQueue")
        (message,) = cloud.client("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
        record = json.loads(message["Body"])
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3
        assert (
            record["requestContext"]["functionArn"]
            == cloud.stack.functions["DeployFunction"].arn + ":$LATEST"
        )
        # The event EventBridge delivered, whole: S3's "Object Created" for this version.
        assert record["requestPayload"]["detail-type"] == "Object Created"
        assert record["requestPayload"]["detail"]["object"]["version-id"] == version
        assert record["responsePayload"]["errorType"] == "RetryableError"
        assert "InternalServerException" in record["responsePayload"]["errorMessage"]
        assert cloud.deployments() == []

        # Replayed once AppConfig recovers, the same event deploys the version.
        cloud.appconfig.faults.clear()
        replay = cloud.functions.invoke("DeployFunction", record["requestPayload"])
        assert replay.payload["results"][0]["outcome"] == "deployed"
