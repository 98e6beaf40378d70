"""What AWS's deployment-notification extensions send, and its delivery, once, in order.

The shapes are the samples of each extension's page in the AppConfig user guide:

* EventBridge (https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-eventbridge.html):
  an event on the account's default bus with ``source`` ``aws.appconfig``, ``detail-type``
  ``On Deployment Complete``, ``resources`` [the extension association's ARN] and ``detail``
  ``{InvocationId, Parameters, Type: "OnDeploymentComplete", Application: {Id, Name},
  Environment: {Id, Name}, ConfigurationProfile: {Id, Name}, DeploymentNumber: 1,
  ConfigurationVersion: "1"}``. The page shows only the completion; the other detail-types are
  the event names EventBridge's reference lists for AppConfig ("On Deployment Start", "On
  Deployment Rollback", https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-appconfig.html),
  and ``Type`` spells the action point the same way as the two documented values
  (``OnDeploymentStart``, ``OnDeploymentComplete``): ``OnDeploymentRolledBack``.
* SQS (https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-sqs.html):
  the message body ``{InvocationId, Parameters, Application, Environment, ConfigurationProfile,
  Description, DeploymentNumber: "3", ConfigurationVersion, Type}``: the number is a string there.
* SNS (https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-sns.html):
  the same message, published with the message attribute ``MessageType`` = ``Type``.

Delivery happens when the deployment changes state on the service's clock: the transition posts a
``Notice`` (under the state lock, so in the order the transitions happened), and whoever advanced
the clock delivers the outbox right after, outside the lock. Each notice is delivered once; as for
every ON_* action point, a failed delivery is not retried and changes nothing in the deployment
("the service ignores the error and continues the workflow"): it is recorded on the event-log
entry's ``ActionInvocations`` as ``ErrorCode``/``ErrorMessage``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

_log = logging.getLogger("localcloud.appconfig.notifications")

SOURCE = "aws.appconfig"
DETAIL_TYPE = {
    "ON_DEPLOYMENT_START": "On Deployment Start",
    "ON_DEPLOYMENT_COMPLETE": "On Deployment Complete",
    "ON_DEPLOYMENT_ROLLED_BACK": "On Deployment Rollback",
}
TYPE = {
    "ON_DEPLOYMENT_START": "OnDeploymentStart",
    "ON_DEPLOYMENT_COMPLETE": "OnDeploymentComplete",
    "ON_DEPLOYMENT_ROLLED_BACK": "OnDeploymentRolledBack",
}


@dataclass(frozen=True)
class Notice:
    """One action of one association at one transition of one deployment."""

    delivery: str
    """``events``, ``sqs`` or ``sns``."""
    target: str
    """The ARN it goes to: the default bus, the queue or the topic."""
    action_point: str
    occurred_at: datetime
    association_arn: str
    parameters: dict[str, str]
    subject: dict[str, Any]
    """Application, Environment, ConfigurationProfile, DeploymentNumber, ConfigurationVersion, Description."""
    invocation: dict[str, Any]
    """The ``ActionInvocation`` on the event-log entry, where a failure is recorded."""

    def message(self) -> dict[str, Any]:
        """The SQS and SNS payload."""
        s = self.subject
        return {
            "InvocationId": self.invocation["InvocationId"],
            "Parameters": dict(self.parameters),
            "Application": s["Application"],
            "Environment": s["Environment"],
            "ConfigurationProfile": s["ConfigurationProfile"],
            "Description": s.get("Description"),
            "DeploymentNumber": str(s["DeploymentNumber"]),
            "ConfigurationVersion": s["ConfigurationVersion"],
            "Type": TYPE[self.action_point],
        }

    def event(self) -> dict[str, Any]:
        """The PutEvents entry for the default bus."""
        s = self.subject
        detail = {
            "InvocationId": self.invocation["InvocationId"],
            "Parameters": dict(self.parameters),
            "Type": TYPE[self.action_point],
            "Application": s["Application"],
            "Environment": s["Environment"],
            "ConfigurationProfile": s["ConfigurationProfile"],
            "DeploymentNumber": int(s["DeploymentNumber"]),
            "ConfigurationVersion": s["ConfigurationVersion"],
        }
        return {
            "Time": self.occurred_at,
            "Source": SOURCE,
            "Resources": [self.association_arn],
            "DetailType": DETAIL_TYPE[self.action_point],
            "Detail": json.dumps(detail),
        }


class Notifier:
    """The outbox of one Region: ``post`` under the state lock, ``deliver`` outside it."""

    def __init__(self, client: Callable[[str, str], Any], lock: threading.RLock) -> None:
        self._client = client
        """(service, Region) -> a boto3 client of the local cloud."""
        self._state_lock = lock
        self._outbox: deque[Notice] = deque()
        self._delivering = threading.Lock()

    def post(self, notice: Notice) -> None:
        self._outbox.append(notice)

    def deliver(self) -> None:
        """Send every posted notice, oldest first; concurrent callers wait, so order holds."""
        with self._delivering:
            while self._outbox:
                notice = self._outbox.popleft()
                failure = self._send(notice)
                if failure is not None:
                    self._failed(notice, failure)

    def _send(self, notice: Notice) -> dict[str, str] | None:
        region = notice.target.split(":")[3]
        try:
            if notice.delivery == "events":
                answer = self._client("events", region).put_events(Entries=[notice.event()])
                entry = answer["Entries"][0]
                if "ErrorCode" in entry:
                    return {"ErrorCode": entry["ErrorCode"], "ErrorMessage": entry.get("ErrorMessage", "")}
            elif notice.delivery == "sqs":
                sqs = self._client("sqs", region)
                account, name = notice.target.split(":")[4:6]
                url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
                sqs.send_message(QueueUrl=url, MessageBody=json.dumps(notice.message()))
            else:
                self._client("sns", region).publish(
                    TopicArn=notice.target,
                    Message=json.dumps(notice.message()),
                    MessageAttributes={
                        "MessageType": {"DataType": "String", "StringValue": TYPE[notice.action_point]}
                    },
                )
        except ClientError as error:
            detail = error.response.get("Error", {})
            return {"ErrorCode": str(detail.get("Code", "")), "ErrorMessage": str(detail.get("Message", ""))}
        except BotoCoreError as error:
            return {"ErrorCode": type(error).__name__, "ErrorMessage": str(error)}
        return None

    def _failed(self, notice: Notice, failure: dict[str, str]) -> None:
        _log.warning(
            "extension %s could not deliver %s to %s: %s",
            notice.invocation["ExtensionIdentifier"],
            notice.action_point,
            notice.target,
            failure["ErrorCode"],
        )
        with self._state_lock:
            notice.invocation.update(failure)


__all__ = ["DETAIL_TYPE", "SOURCE", "TYPE", "Notice", "Notifier"]
