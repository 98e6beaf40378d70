"""The local cloud's FIFO receives, through a real boto3 client against moto with ``SqsClock``.

SQS hands out a message group's next message once the one before is deleted or visible again
("no more messages for the same message group ID are returned unless you delete the message or
it becomes visible",
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html),
and a long poll returns as soon as a message is available
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from moto.sqs import models as moto_sqs

from localcloud.sqs import SqsClock

if TYPE_CHECKING:
    from collections.abc import Iterator

    from localcloud.testing import LocalCloud

pytestmark = pytest.mark.integration
IN_FLIGHT = 43200
"""The first message stays in flight for the whole test, however slowly the machine runs it."""


@pytest.fixture
def fifo(local_cloud: LocalCloud) -> Iterator[tuple[Any, str]]:
    clock = SqsClock(time_scale=1).install()
    try:
        sqs = local_cloud.client("sqs")
        url = sqs.create_queue(QueueName="requests.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for n in ("first", "second"):
            sqs.send_message(
                QueueUrl=url, MessageBody=n, MessageGroupId="production", MessageDeduplicationId=n
            )
        yield sqs, url
    finally:
        clock.uninstall()


def test_a_long_poll_gets_the_groups_next_message_once_the_one_in_flight_is_deleted(
    fifo: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs, url = fifo
    (first,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=IN_FLIGHT)["Messages"]
    assert first["Body"] == "first"
    # The delete is sent only once the poll is inside SQS, waiting with the group in flight.
    polling = threading.Event()
    receive = moto_sqs.SQSBackend.receive_message

    def noted(*args: Any, **kwargs: Any) -> Any:
        polling.set()
        return receive(*args, **kwargs)

    monkeypatch.setattr(moto_sqs.SQSBackend, "receive_message", noted)
    received: list[list[dict[str, Any]]] = []
    poll = threading.Thread(
        target=lambda: received.append(
            sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", [])
        )
    )
    poll.start()
    polling.wait()
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    poll.join()
    # A poll that kept the groups in flight at its start would end its wait with nothing.
    assert [m["Body"] for m in received[0]] == ["second"]


def test_a_long_poll_returns_nothing_of_a_group_whose_message_is_in_flight(fifo: tuple[Any, str]) -> None:
    sqs, url = fifo
    (first,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=IN_FLIGHT)["Messages"]
    assert first["Body"] == "first"
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []) == []
