"""Nothing is lost: an upload whose deployment keeps failing is retried from the deploy queue,
marked failed on its last receive, then kept on the failure queue (the queue's redrive policy)
with the event it carried, ready to be replayed."""

from __future__ import annotations

import json

from localcloud.pipeline import LocalPipeline


def test_an_upload_that_cannot_be_deployed_lands_on_the_failure_queue_with_its_reason() -> None:
    with LocalPipeline(time_scale=600) as cloud:
        cloud.appconfig.faults.fail_next("StartDeployment", error="InternalServerException", count=None)
        version = cloud.upload(b'{"banner": {"default": true}}')
        cloud.settle(timeout=120)  # each retry waits its backoff on the queue (scaled)

        environment = cloud.stack.functions["DeployFunction"].environment
        receives = int(environment["DEPLOY_QUEUE_MAX_RECEIVES"])
        # Handed to the function once per receive the redrive policy allows, each held for a retry.
        batches = cloud.deploy_batches()
        assert len(batches) == receives
        assert all(not i.failed and i.payload["batchItemFailures"] for _, i in batches)
        counts = [int(event["Records"][0]["attributes"]["ApproximateReceiveCount"]) for event, _ in batches]
        assert counts == list(range(1, receives + 1))

        queue = cloud.stack.ref("DeployFailureQueue")
        (message,) = cloud.client("sqs").receive_message(
            QueueUrl=queue, WaitTimeSeconds=1, AttributeNames=["All"]
        )["Messages"]
        # The event EventBridge put on the queue, whole: S3's "Object Created" for this version,
        # in the group of the stage it was for.
        event = json.loads(message["Body"])
        assert event["detail-type"] == "Object Created"
        assert event["detail"]["object"]["version-id"] == version
        assert message["Attributes"]["MessageGroupId"] == "production"
        assert cloud.deployments() == []
        # The version says why, on its tag and in its record.
        tags = cloud.client("s3").get_object_tagging(Bucket=cloud.bucket, Key=cloud.key, VersionId=version)
        assert {"Key": "rollout-status", "Value": "failed"} in tags["TagSet"]

        # Replayed once AppConfig recovers, the same event deploys the version.
        cloud.appconfig.faults.clear()
        replay = cloud.functions.invoke("DeployFunction", event)
        assert replay.payload["results"][0]["outcome"] == "deployed"
