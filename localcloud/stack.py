"""Create what template.yaml describes in the local cloud, from its parameters.

A small CloudFormation for the resource types this application uses: every resource is created
through the real boto3 API of the service that owns it (moto for S3, SQS and CloudWatch; the
local AppConfig service for AppConfig), in dependency order, and ``!Ref``/``!GetAtt`` resolve to
the physical IDs created. Functions are not uploaded anywhere: ``TemplateFunctions`` runs them
from their CodeUri folders, and this gives them their resolved environment variables.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.iam.accounts import LAMBDA, Accounts
from localcloud.iam.lambda_permissions import FunctionPolicies
from localcloud.lambda_runtime.async_invoke import InvokeConfig
from localcloud.template import PSEUDO, Resolver, Unresolved, load

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

ACCOUNT = PSEUDO["AWS::AccountId"]
REGION = PSEUDO["AWS::Region"]
# Creation order: a resource may refer only to types before it.
ORDER = (
    "AWS::SQS::Queue",
    "AWS::IAM::Role",
    "AWS::Serverless::Function",
    "AWS::CloudWatch::Alarm",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::AppConfig::Application",
    "AWS::AppConfig::Environment",
    "AWS::AppConfig::DeploymentStrategy",
    "AWS::AppConfig::ConfigurationProfile",
    "AWS::AppConfig::ExtensionAssociation",
    "AWS::Lambda::Permission",
)
# SAM's execution role for a function without a Role of its own: Lambda may assume it.
# https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html#sam-function-role
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": LAMBDA}, "Action": "sts:AssumeRole"}],
}


@dataclass
class StackResolver(Resolver):
    physical: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Logical ID -> {"Ref": ..., attribute: ...} for every resource created so far."""

    def parameter(self, name: str) -> Any:
        if name in self.physical:
            return self.physical[name]["Ref"]
        value = super().parameter(name)
        if self.template.get("Parameters", {}).get(name, {}).get("Type") == "Number":
            number = float(value)
            return int(number) if number.is_integer() else number
        return value

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {**super()._functions(), "Fn::GetAtt": lambda a: self._attribute(a[0], a[1])}

    def _sub(self, name: str, bound: dict[str, Any]) -> Any:
        if "." in name and name not in bound:
            return self._attribute(*name.split(".", 1))
        return super()._sub(name, bound)

    def _attribute(self, logical_id: str, attribute: str) -> Any:
        try:
            return self.physical[logical_id][attribute]
        except KeyError:
            raise Unresolved(f"{logical_id}.{attribute}") from None


@dataclass
class Stack:
    resolver: StackResolver
    invoke_configs: dict[str, InvokeConfig]
    function_environment: dict[str, dict[str, str]]
    alarms: dict[str, dict[str, Any]]
    """Alarm name -> its definition as the template gives it (resolved)."""
    function_credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    """Function -> its execution role's session (AWS_ACCESS_KEY_ID ...), as Lambda gives it."""
    function_policies: FunctionPolicies = field(default_factory=FunctionPolicies)
    """Who may invoke which function (the template's AWS::Lambda::Permission resources)."""

    def ref(self, logical_id: str) -> Any:
        return self.resolver.physical[logical_id]["Ref"]

    def attribute(self, logical_id: str, attribute: str) -> Any:
        return self.resolver.physical[logical_id][attribute]

    def output(self, name: str) -> Any:
        return self.resolver.resolve(self.resolver.template["Outputs"][name]["Value"])


def provision(template_path: Path, parameters: dict[str, str], client: Callable[[str], Any]) -> Stack:
    """Create the stack; ``client(service)`` returns a boto3 client bound to the local cloud."""
    template = load(template_path)
    resolver = StackResolver(template, dict(parameters))
    resources: dict[str, Any] = template["Resources"]
    creators = _Creators(resolver, client, resources)
    for kind in ORDER:
        for logical_id, resource in resources.items():
            if resource["Type"] != kind:
                continue
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                continue
            properties = resource.get("Properties", {})
            resolver.physical[logical_id] = creators.create(kind, logical_id, properties)
    functions = [n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"]
    for name in functions:
        creators.wire_s3_events(name, resources[name].get("Properties", {}))
    # A function's policy refers to resources created after it in ORDER (the AppConfig IDs), so
    # its execution role comes last; Lambda then assumes it for the function's environments.
    accounts = Accounts(str(ACCOUNT), str(REGION))
    credentials = {}
    for name in functions:
        role_arn = creators.execution_role(name, resources[name].get("Properties", {}))
        session = accounts.assume_role_as_service(role_arn, LAMBDA, name, duration_seconds=43200)
        credentials[name] = session.environment()
    return Stack(
        resolver,
        {name: creators.invoke_config(resources[name].get("Properties", {})) for name in functions},
        {name: creators.environment(name) for name in functions},
        creators.alarms,
        credentials,
        creators.function_policies,
    )


class _Creators:
    def __init__(
        self, resolver: StackResolver, client: Callable[[str], Any], resources: dict[str, Any]
    ) -> None:
        self._r = resolver
        self._client = client
        self._resources = resources
        self._notifications: dict[str, list[dict[str, Any]]] = {}
        self.alarms: dict[str, dict[str, Any]] = {}
        self.function_policies = FunctionPolicies()

    def create(self, kind: str, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self, "_" + re.sub(r"\W+", "_", kind.split("::", 1)[1]).lower())
        created: dict[str, Any] = method(logical_id, props)
        return created

    # --- one method per resource type --------------------------------------------------------
    def _sqs_queue(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        url = self._client("sqs").create_queue(QueueName=logical_id)["QueueUrl"]
        return {"Ref": url, "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}", "QueueName": logical_id}

    def _iam_role(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        """CreateRole with the trust policy, then one PutRolePolicy per inline policy."""
        spec = self._r.resolve(props)
        name = spec.get("RoleName") or logical_id
        iam = self._client("iam")
        created = iam.create_role(
            RoleName=name,
            Path=spec.get("Path", "/"),
            AssumeRolePolicyDocument=json.dumps(spec["AssumeRolePolicyDocument"]),
        )["Role"]
        for policy in spec.get("Policies", []):
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=json.dumps(policy["PolicyDocument"]),
            )
        return {"Ref": name, "Arn": created["Arn"], "RoleId": created["RoleId"]}

    def execution_role(self, function: str, props: dict[str, Any]) -> str:
        """The function's Role, or the role SAM generates (``<Function>Role``) from its Policies.

        Only inline statements (``- Statement: [...]``) are carried over: SAM's policy templates
        and AWS managed policies (logs, X-Ray) grant calls nothing here makes."""
        if "Role" in props:
            return str(self._r.resolve(props["Role"]))
        name = f"{function}Role"
        iam = self._client("iam")
        arn = str(
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
        )
        statements = [p for p in props.get("Policies", []) if isinstance(p, dict) and "Statement" in p]
        for index, policy in enumerate(statements):
            document = {"Version": "2012-10-17", "Statement": self._r.resolve(policy["Statement"])}
            iam.put_role_policy(
                RoleName=name, PolicyName=f"{name}Policy{index}", PolicyDocument=json.dumps(document)
            )
        return arn

    def _lambda_permission(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        spec = self._r.resolve(props)
        function = str(spec["FunctionName"])
        arn = (
            function
            if function.startswith("arn:")
            else f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
        )
        self.function_policies.add_permission(
            arn, logical_id, principal=spec["Principal"], action=spec["Action"],
            source_account=spec.get("SourceAccount"), source_arn=spec.get("SourceArn"),
        )  # fmt: skip
        return {"Ref": logical_id}

    def _serverless_function(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        return {"Ref": logical_id, "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"}

    def _cloudwatch_alarm(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        spec = self._r.resolve(props)
        name = spec.get("AlarmName") or logical_id
        allowed = {
            "AlarmDescription", "MetricName", "Namespace", "Statistic", "Dimensions", "Period",
            "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
        }  # fmt: skip
        self._client("cloudwatch").put_metric_alarm(
            AlarmName=name, **{k: v for k, v in spec.items() if k in allowed}
        )
        # moto keeps no metric-math queries (it returns Metrics: []): the evaluation reads them here.
        self.alarms[name] = spec
        return {"Ref": name, "Arn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"}

    def _s3_bucket(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        spec = self._r.resolve(props)
        name = spec.get("BucketName") or logical_id.lower()
        s3 = self._client("s3")
        s3.create_bucket(Bucket=name)
        if "VersioningConfiguration" in spec:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=spec["VersioningConfiguration"])
        if "PublicAccessBlockConfiguration" in spec:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=spec["PublicAccessBlockConfiguration"]
            )
        if "BucketEncryption" in spec:
            # CloudFormation spells the API's ApplyServerSideEncryptionByDefault without "Apply".
            rules = [
                {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                for r in spec["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        return {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}

    def _s3_bucketpolicy(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        spec = self._r.resolve(props)
        document = dict(spec["PolicyDocument"])
        # The local cloud speaks plain HTTP on 127.0.0.1 and moto enforces bucket policies: a
        # TLS-only statement would refuse every request. It is the one statement left out.
        document["Statement"] = [
            s for s in document["Statement"] if "aws:SecureTransport" not in json.dumps(s)
        ]
        if document["Statement"]:
            self._client("s3").put_bucket_policy(Bucket=spec["Bucket"], Policy=json.dumps(document))
        return {"Ref": logical_id}

    def _appconfig_application(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        created = self._client("appconfig").create_application(**self._r.resolve(props))
        return {"Ref": created["Id"], "ApplicationId": created["Id"]}

    def _appconfig_environment(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        created = self._client("appconfig").create_environment(**self._r.resolve(props))
        return {"Ref": created["Id"], "EnvironmentId": created["Id"]}

    def _appconfig_deploymentstrategy(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        created = self._client("appconfig").create_deployment_strategy(**self._r.resolve(props))
        return {"Ref": created["Id"], "Id": created["Id"]}

    def _appconfig_configurationprofile(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        created = self._client("appconfig").create_configuration_profile(**self._r.resolve(props))
        return {"Ref": created["Id"], "ConfigurationProfileId": created["Id"]}

    def _appconfig_extensionassociation(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appconfig-extensionassociation.html:
        # the properties are CreateExtensionAssociation's, but Tags is a list of Key/Value pairs there.
        spec = self._r.resolve(props)
        if "Tags" in spec:
            spec["Tags"] = {tag["Key"]: tag["Value"] for tag in spec["Tags"]}
        created = self._client("appconfig").create_extension_association(**spec)
        return {
            "Ref": created["Id"],
            **{k: created[k] for k in ("Id", "Arn", "ExtensionArn", "ResourceArn")},
        }

    # --- what SAM generates from a function's properties --------------------------------------
    def wire_s3_events(self, function: str, props: dict[str, Any]) -> None:
        """SAM's S3 event source: a LambdaFunctionConfiguration on the bucket."""
        for event in props.get("Events", {}).values():
            if event.get("Type") != "S3":
                continue
            spec = event["Properties"]
            bucket = self._r.resolve(spec["Bucket"])
            events = spec["Events"] if isinstance(spec["Events"], list) else [spec["Events"]]
            configuration: dict[str, Any] = {
                "LambdaFunctionArn": self._r.physical[function]["Arn"],
                "Events": events,
            }
            if "Filter" in spec:
                rules = self._r.resolve(spec["Filter"])["S3Key"]["Rules"]
                configuration["Filter"] = {"Key": {"FilterRules": rules}}
            self._notifications.setdefault(bucket, []).append(configuration)
            self._client("s3").put_bucket_notification_configuration(
                Bucket=bucket,
                NotificationConfiguration={"LambdaFunctionConfigurations": self._notifications[bucket]},
                SkipDestinationValidation=True,
            )

    def invoke_config(self, props: dict[str, Any]) -> InvokeConfig:
        spec = self._r.resolve(props.get("EventInvokeConfig", {}))
        destination = spec.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        queue = next(
            (p["Ref"] for p in self._r.physical.values() if destination and p.get("Arn") == destination), None
        )
        return InvokeConfig(
            maximum_retry_attempts=int(spec.get("MaximumRetryAttempts", 2)),
            maximum_event_age=float(spec.get("MaximumEventAgeInSeconds", 21600)),
            on_failure_queue_url=queue,
        )

    def environment(self, function: str) -> dict[str, str]:
        globals_ = self._r.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        own = self._resources[function].get("Properties", {}).get("Environment", {})
        variables = {**globals_.get("Variables", {}), **own.get("Variables", {})}
        return {k: str(v) for k, v in self._r.resolve(variables).items() if v is not None}
