"""The deploy queue's promotion requests, as every sender writes them.

The deploy queue is FIFO, one message group per stage; a promotion asks for a version that
completed one stage to be deployed in the next: ``{"promote": {"bucket", "key", "versionId",
"to", "by"}}`` in the group of stage ``to``. The status function sends one when a version
completes a stage (PromotionApproval auto), ``rollout promote`` when a person approves it. The
queue deduplicates by content for five minutes, so a repeated request is one message.
"""

from __future__ import annotations

import json
from typing import Any

PROMOTE = "promote"


def promotion_body(bucket: str, key: str, version_id: str, to: str, by: str) -> str:
    detail = {"bucket": bucket, "key": key, "versionId": version_id, "to": to, "by": by}
    return json.dumps({PROMOTE: detail}, sort_keys=True)


def send_promotion(
    sqs: Any, queue_url: str, *, bucket: str, key: str, version_id: str, to: str, by: str
) -> str:
    """Queue the request in stage ``to``'s group; returns the message ID."""
    response = sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=promotion_body(bucket, key, version_id, to, by),
        MessageGroupId=to,
    )
    return str(response["MessageId"])
