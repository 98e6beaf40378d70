"""Extensions: the AWS-authored ones AWS predefines, associations with resources, and what an
associated notification extension sends when a deployment changes state.

https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about.html
https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined.html

* ListExtensions/GetExtension show the AWS-authored extensions as AWS lists them (Id, Name,
  VersionNumber, Arn with no account, Description: the AWS CLI's ``list-extensions`` example,
  https://docs.aws.amazon.com/code-library/latest/ug/cli_2_appconfig_code_examples.html).
  Custom extensions (CreateExtension) are not implemented by the local service.
* An association ties an extension to an application, environment or configuration profile;
  "If you associate the extension to an application or an environment, an event notification is
  sent for any configuration profile contained within".
* The three notification extensions act on ON_DEPLOYMENT_START, ON_DEPLOYMENT_COMPLETE and
  ON_DEPLOYMENT_ROLLED_BACK, which "are invoked asynchronously ... If an extension experiences an
  error during an ON_* action point, the service ignores the error and continues the workflow".
  What each sends is in ``notifications``.

The associations a deployment uses are fixed when it starts (its ``AppliedExtensions``); each
action point reached is recorded on its event-log entry (``ActionInvocations``), with the error
if the delivery failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.appconfig.errors import bad_request, not_found, not_implemented
from localcloud.appconfig.notifications import Notice
from localcloud.appconfig.state import new_id, page, pick

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.appconfig.deployments import Deployment
    from localcloud.appconfig.state import State

NOTIFICATION_POINTS = ("ON_DEPLOYMENT_START", "ON_DEPLOYMENT_COMPLETE", "ON_DEPLOYMENT_ROLLED_BACK")
# Which event-log entry is which action point (DeploymentEventType vs ActionPoint in the model).
ACTION_POINT_OF_EVENT = {
    "DEPLOYMENT_STARTED": "ON_DEPLOYMENT_START",
    "PERCENTAGE_UPDATED": "ON_DEPLOYMENT_STEP",
    "BAKE_TIME_STARTED": "ON_DEPLOYMENT_BAKING",
    "DEPLOYMENT_COMPLETED": "ON_DEPLOYMENT_COMPLETE",
    "ROLLBACK_COMPLETED": "ON_DEPLOYMENT_ROLLED_BACK",
}
_DESCRIBED_AS = (
    "when a deployment of configuration data in AppConfig is started, completed, or rolled back. Can be "
    "associated to the following resources in AppConfig: Application, Environment, Configuration Profile."
)


@dataclass(frozen=True)
class Authored:
    """One AWS-authored extension: what AWS shows of it, and where its notifications go."""

    id: str
    name: str
    description: str
    delivery: str | None
    """``events``, ``sqs`` or ``sns``; None: the local service does not run it."""
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: int = 1

    def arn(self, region: str) -> str:
        # AWS-authored extensions belong to no account: arn:aws:appconfig:us-west-2::extension/ID/1
        return f"arn:aws:appconfig:{region}::extension/{self.id}/{self.version}"

    def summary(self, region: str) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": self.name,
            "VersionNumber": self.version,
            "Arn": self.arn(region),
            "Description": self.description,
        }

    def describe(self, region: str) -> dict[str, Any]:
        # The action points are documented ("This extension is invoked by the following action
        # points"); the names AWS gives the actions are not, so they carry the extension's name.
        points = NOTIFICATION_POINTS if self.delivery else ()
        actions = {point: [{"Name": self.name}] for point in points}
        return {
            **self.summary(region),
            **({"Actions": actions} if actions else {}),
            "Parameters": {k: dict(v) for k, v in self.parameters.items()},
        }


AUTHORED: tuple[Authored, ...] = (
    Authored(
        "AWS.AppConfig.FeatureFlags",
        "AppConfig Feature Flags Helper",
        "Validates AppConfig feature flag data automatically against a JSON schema that includes structure "
        "and constraints. Also transforms feature flag data prior to sending to the client. This extension "
        'is automatically associated to configuration profiles with type "AWS.AppConfig.FeatureFlags".',
        None,
    ),
    Authored(
        "AWS.AppConfig.JiraIntegration",
        "AppConfig integration with Atlassian Jira",
        "Exports feature flag data from AWS AppConfig into Jira. The lifecycle of each feature flag in "
        "AppConfig is tracked in Jira as an individual issue. Customers can see in Jira when flags are "
        "updated, turned on or off. Works in conjunction with the AppConfig app in the Atlassian "
        "Marketplace and is automatically associated to configuration profiles configured within that app.",
        None,
    ),
    Authored(
        "AWS.AppConfig.DeploymentNotificationsToEventBridge",
        "AppConfig deployment events to Amazon EventBridge",
        f"Sends events to Amazon EventBridge {_DESCRIBED_AS}",
        "events",
    ),
    Authored(
        "AWS.AppConfig.DeploymentNotificationsToSqs",
        "AppConfig deployment events to Amazon SQS",
        f"Sends messages to the configured Amazon SQS queue {_DESCRIBED_AS}",
        "sqs",
        # "you must enter a ... parameter that contains the ARN of the Amazon SQS queue" (the
        # SQS extension's page; its sample message names it queueArn).
        {"queueArn": {"Required": True}},
    ),
    Authored(
        "AWS.AppConfig.DeploymentNotificationsToSns",
        "AppConfig deployment events to Amazon SNS",
        f"Sends events to the configured Amazon SNS topic {_DESCRIBED_AS}",
        "sns",
        {"topicArn": {"Required": True}},
    ),
)
_EXTENSION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:appconfig:[a-z0-9-]*:\d*:extension/([^/]+)(?:/(\d+))?$")
_TARGET_ARN = {
    "sqs": re.compile(r"^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$"),
    "sns": re.compile(r"^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$"),
}


@dataclass(frozen=True)
class Applied:
    """An association in effect for one deployment, as it was when the deployment started."""

    association: dict[str, Any]
    extension: Authored


class Extensions:
    def __init__(self, state: State, post: Callable[[Notice], None]) -> None:
        self.state = state
        self._post = post

    # ---------------------------------------------------------------- extensions
    def ListExtensions(self, p: dict[str, Any]) -> dict[str, Any]:
        items = [e.summary(self.state.region) for e in AUTHORED if not p.get("Name") or e.name == p["Name"]]
        return page(items, p)

    def GetExtension(self, p: dict[str, Any]) -> dict[str, Any]:
        extension = self._extension(p["ExtensionIdentifier"], p.get("VersionNumber"))
        return extension.describe(self.state.region)

    # ---------------------------------------------------------------- associations
    def CreateExtensionAssociation(self, p: dict[str, Any]) -> dict[str, Any]:
        extension = self._extension(p["ExtensionIdentifier"], p.get("ExtensionVersionNumber"))
        if extension.delivery is None:
            raise not_implemented(f"Associating {extension.id}")
        resource = p["ResourceIdentifier"]
        kind = self.state.resource_type(resource)
        if kind not in ("Application", "Environment", "ConfigurationProfile"):
            raise bad_request(
                f"{resource} is a {kind}: extensions associate with applications, environments and "
                "configuration profiles"
            )
        parameters = self._parameters(extension, p.get("Parameters") or {})
        if any(
            a["ResourceArn"] == resource and a["ExtensionArn"] == extension.arn(self.state.region)
            for a in self.state.associations.values()
        ):
            raise bad_request(f"{extension.id} is already associated with {resource}")
        association_id = new_id()
        association = {
            "Id": association_id,
            "ExtensionArn": extension.arn(self.state.region),
            "ResourceArn": resource,
            "Arn": self.state.arn(f"extensionassociation/{association_id}"),
            "Parameters": parameters,
            "ExtensionVersionNumber": extension.version,
        }
        self.state.associations[association_id] = association
        if p.get("Tags"):
            self.state.tags[association["Arn"]] = dict(p["Tags"])
        return _copy(association)

    def GetExtensionAssociation(self, p: dict[str, Any]) -> dict[str, Any]:
        return _copy(self._association(p["ExtensionAssociationId"]))

    def ListExtensionAssociations(self, p: dict[str, Any]) -> dict[str, Any]:
        wanted = self._extension(p["ExtensionIdentifier"]) if p.get("ExtensionIdentifier") else None
        if p.get("ExtensionVersionNumber") is not None and wanted is None:
            raise bad_request("ExtensionVersionNumber needs an ExtensionIdentifier")
        items = [
            pick(a, ("Id", "ExtensionArn", "ResourceArn"))
            for a in self.state.associations.values()
            if (not p.get("ResourceIdentifier") or a["ResourceArn"] == p["ResourceIdentifier"])
            and (wanted is None or a["ExtensionArn"] == wanted.arn(self.state.region))
            and (
                p.get("ExtensionVersionNumber") is None
                or a["ExtensionVersionNumber"] == p["ExtensionVersionNumber"]
            )
        ]
        return page(items, p)

    def UpdateExtensionAssociation(self, p: dict[str, Any]) -> dict[str, Any]:
        association = self._association(p["ExtensionAssociationId"])
        if "Parameters" in p:
            extension = self._extension(association["ExtensionArn"])
            association["Parameters"] = self._parameters(extension, p["Parameters"])
        return _copy(association)

    def DeleteExtensionAssociation(self, p: dict[str, Any]) -> dict[str, Any]:
        association = self._association(p["ExtensionAssociationId"])
        del self.state.associations[association["Id"]]
        self.state.tags.pop(association["Arn"], None)
        return {}

    # ---------------------------------------------------------------- deployments
    def applicable(self, deployment: Deployment) -> list[Applied]:
        """The associations with the deployment's application, environment or profile, now."""
        app = f"application/{deployment.application_id}"
        on = {
            self.state.arn(app),
            self.state.arn(f"{app}/environment/{deployment.environment_id}"),
            self.state.arn(f"{app}/configurationprofile/{deployment.profile['Id']}"),
        }
        return [
            Applied(_copy(a), self._extension(a["ExtensionArn"]))
            for a in self.state.associations.values()
            if a["ResourceArn"] in on
        ]

    def observe(self, deployment: Deployment, entry: dict[str, Any]) -> None:
        """An event-log entry was written: post what each applied extension does at that action point."""
        point = ACTION_POINT_OF_EVENT.get(entry["EventType"])
        invocations: list[dict[str, Any]] = []
        for applied in deployment.applied:
            extension = applied.extension
            if point not in NOTIFICATION_POINTS or extension.delivery is None:
                continue
            target = self._target(extension, applied.association)
            invocation = {
                "ExtensionIdentifier": extension.id,
                "ActionName": extension.name,
                "Uri": target,
                "InvocationId": new_id(),
            }
            invocations.append(invocation)
            self._post(
                Notice(
                    delivery=extension.delivery,
                    target=target,
                    action_point=point,
                    occurred_at=entry["OccurredAt"],
                    association_arn=applied.association["Arn"],
                    parameters=dict(applied.association["Parameters"]),
                    subject=dict(deployment.subject),
                    invocation=invocation,
                )
            )
        if invocations:
            entry["ActionInvocations"] = invocations

    # ---------------------------------------------------------------- helpers
    def _target(self, extension: Authored, association: dict[str, Any]) -> str:
        if extension.delivery == "events":
            # "This extension supports only the EventBridge default events bus."
            return f"arn:aws:events:{self.state.region}:{self.state.account_id}:event-bus/default"
        key = next(iter(extension.parameters))
        return str(association["Parameters"][key])

    def _extension(self, identifier: str, version: int | None = None) -> Authored:
        """By ID, name or ARN (``...:extension/ID/VERSION``), as the Identifier members accept."""
        ref, in_arn = identifier, None
        match = _EXTENSION_ARN.match(identifier)
        if match:
            ref, in_arn = match.group(1), match.group(2)
        wanted = version if version is not None else (int(in_arn) if in_arn else None)
        for extension in AUTHORED:
            if ref in (extension.id, extension.name) and wanted in (None, extension.version):
                return extension
        raise not_found(f"Extension {identifier} not found", "Extension")

    def _association(self, association_id: str) -> dict[str, Any]:
        association = self.state.associations.get(association_id)
        if association is None:
            raise not_found(f"Extension association {association_id} not found", "ExtensionAssociation")
        return association

    @staticmethod
    def _parameters(extension: Authored, given: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(given) - set(extension.parameters))
        if unknown:
            raise bad_request(f"{extension.id} takes no parameter {', '.join(unknown)}")
        missing = [k for k, spec in extension.parameters.items() if spec.get("Required") and not given.get(k)]
        if missing:
            raise bad_request(f"{extension.id} needs the parameter {', '.join(missing)}")
        pattern = _TARGET_ARN.get(extension.delivery or "")
        for value in given.values():
            if pattern is not None and not pattern.match(value):
                raise bad_request(
                    f"{value} is not the ARN of an Amazon {str(extension.delivery).upper()} destination"
                )
        return dict(given)


def _copy(association: dict[str, Any]) -> dict[str, Any]:
    return {**association, "Parameters": dict(association["Parameters"])}


__all__ = ["ACTION_POINT_OF_EVENT", "AUTHORED", "NOTIFICATION_POINTS", "Applied", "Authored", "Extensions"]
