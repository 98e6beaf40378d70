"""One creator per resource type of a (SAM-transformed) template, through the real boto3 API.

moto creates S3, IAM, SQS, CloudWatch, CloudWatch Logs and EventBridge resources; the local
AppConfig service creates AppConfig's. Lambda functions, layers, permissions, URLs, event
invoke configs and event source mappings are recorded, not created anywhere: the local Lambda
runtime runs the functions from their folders with what is recorded here, and
``localcloud.sqs`` polls the SQS event sources.

Each creator takes the properties CloudFormation documents for its type, maps them to the
service's API, and refuses a property it does not apply, so a template that uses one fails
here, by name, instead of quietly behaving otherwise than in AWS. The values returned are what
``Ref`` and ``Fn::GetAtt`` give (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.cfn import names
from localcloud.iam.lambda_permissions import FunctionPolicies
from localcloud.lambda_runtime.async_invoke import InvokeConfig
from localcloud.moto import ensure_aws_managed_policy

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from localcloud.cfn.transform import Transformed


class ProvisioningError(ValueError):
    """A resource the local cloud cannot create as CloudFormation would; names the resource."""


@dataclass(frozen=True)
class Place:
    stack_name: str
    region: str
    account: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )


@dataclass(frozen=True)
class SqsEventSource:
    """An SQS event source mapping, as Lambda keeps it."""

    uuid: str
    queue_arn: str
    queue_url: str
    batch_size: int
    report_batch_item_failures: bool
    fifo: bool
    enabled: bool = True


@dataclass
class LambdaFunction:
    """A function as Lambda would hold it; the local runtime runs it from ``code_dir``."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    runtime: str
    role_arn: str
    timeout: float = 3.0
    memory_mb: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)
    """Layer version ARNs, in the order Lambda extracts them."""
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    log_group: str = ""
    invoke_config: InvokeConfig = field(default_factory=InvokeConfig)
    event_source_mappings: list[SqsEventSource] = field(default_factory=list)
    """Polled by ``localcloud.sqs.QueuePollers``, as Lambda polls them."""
    url: str | None = None


@dataclass
class Records:
    """What the stack holds besides what the services keep."""

    functions: dict[str, LambdaFunction] = field(default_factory=dict)
    layers: dict[str, Path] = field(default_factory=dict)
    """Layer version ARN -> its folder."""
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Alarm name -> its definition (moto keeps no metric-math queries)."""
    deletion_protection: dict[str, str] = field(default_factory=dict)
    """Logical ID -> DeletionProtectionCheck, for AppConfig environments and profiles."""
    function_policies: FunctionPolicies = field(default_factory=FunctionPolicies)
    """Each function's resource-based policy (its AWS::Lambda::Permission statements)."""

    def target(self, arn: str) -> tuple[str, str]:
        """For event sources: the function's logical ID and its ARN (KeyError if none)."""
        function = self.function(arn)
        return function.logical_id, function.arn

    def function(self, name_or_arn: str) -> LambdaFunction:
        for function in self.functions.values():
            if name_or_arn in (function.name, function.arn, function.logical_id) or name_or_arn.startswith(
                function.arn + ":"
            ):
                return function
        raise KeyError(name_or_arn)


Created = dict[str, Any]
"""{"Ref": ..., attribute: ...}"""


class Creators:
    def __init__(
        self,
        place: Place,
        client: Callable[[str], Any],
        transformed: Transformed,
        records: Records,
    ) -> None:
        self._place = place
        self._client = client
        self._transformed = transformed
        self.records = records
        self._by_type: dict[str, Callable[[str, dict[str, Any]], Created]] = {
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::IAM::Role": self._role,
            "AWS::IAM::Policy": self._policy,
            "AWS::Lambda::Function": self._function,
            "AWS::Lambda::LayerVersion": self._layer_version,
            "AWS::Lambda::EventInvokeConfig": self._event_invoke_config,
            "AWS::Lambda::Permission": self._permission,
            "AWS::Lambda::Url": self._url,
            "AWS::Lambda::EventSourceMapping": self._event_source_mapping,
            "AWS::Events::Rule": self._rule,
            "AWS::SQS::Queue": self._queue,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::AppConfig::Application": self._application,
            "AWS::AppConfig::Environment": self._environment,
            "AWS::AppConfig::ConfigurationProfile": self._profile,
            "AWS::AppConfig::DeploymentStrategy": self._strategy,
            "AWS::AppConfig::ExtensionAssociation": self._extension_association,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::SNS::TopicPolicy": self._topic_policy,
            "AWS::KMS::Key": self._key,
            "AWS::CloudWatch::Dashboard": self._dashboard,
        }

    @property
    def supported(self) -> list[str]:
        return sorted(self._by_type)

    def create(self, resource_type: str, logical_id: str, properties: dict[str, Any]) -> Created:
        creator = self._by_type.get(resource_type)
        if creator is None:
            raise ProvisioningError(
                f"{logical_id}: the local cloud cannot create {resource_type} "
                f"(it creates {', '.join(self.supported)})"
            )
        try:
            return creator(logical_id, properties)
        except names.NameError_ as error:
            raise ProvisioningError(str(error)) from error

    # ---------------------------------------------------------------- helpers
    def _name(self, resource_type: str, logical_id: str, given: object) -> str:
        if given is None:
            return names.generated(resource_type, self._place.stack_name, logical_id)
        return names.check(resource_type, logical_id, str(given))

    @staticmethod
    def _only(logical_id: str, props: dict[str, Any], allowed: set[str]) -> None:
        unknown = sorted(set(props) - allowed)
        if unknown:
            raise ProvisioningError(
                f"{logical_id}: the local cloud does not apply {', '.join(unknown)} "
                f"(it applies {', '.join(sorted(allowed))})"
            )

    @staticmethod
    def _tags(props: dict[str, Any]) -> dict[str, str]:
        """CloudFormation's [{Key, Value}] as the map AppConfig's API takes."""
        return {str(t["Key"]): str(t["Value"]) for t in props.get("Tags", [])}

    # ---------------------------------------------------------------- S3
    def _bucket(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {
            "BucketName", "VersioningConfiguration", "PublicAccessBlockConfiguration", "OwnershipControls",
            "BucketEncryption", "LifecycleConfiguration", "NotificationConfiguration", "Tags",
        })  # fmt: skip
        name = self._name("AWS::S3::Bucket", logical_id, props.get("BucketName"))
        s3 = self._client("s3")
        s3.create_bucket(Bucket=name)
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
        if "BucketEncryption" in props:
            # CloudFormation spells the API's ApplyServerSideEncryptionByDefault without "Apply".
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                    **({"BucketKeyEnabled": rule["BucketKeyEnabled"]} if "BucketKeyEnabled" in rule else {}),
                }
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "LifecycleConfiguration" in props:
            rules = [_lifecycle_rule(logical_id, r) for r in props["LifecycleConfiguration"]["Rules"]]
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if "NotificationConfiguration" in props:
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration=_notifications(logical_id, props["NotificationConfiguration"]),
                SkipDestinationValidation=True,
            )
        return {
            "Ref": name,
            "Arn": f"arn:{self._place.partition}:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self._place.region}.amazonaws.com",
        }

    def _bucket_policy(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"Bucket", "PolicyDocument"})
        document = dict(props["PolicyDocument"])
        # The local cloud speaks plain HTTP on 127.0.0.1 and moto enforces bucket policies: a
        # TLS-only statement would refuse every request. It is the one statement left out.
        document["Statement"] = [
            s for s in document["Statement"] if "aws:SecureTransport" not in json.dumps(s)
        ]
        if document["Statement"]:
            self._client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(document))
        return {"Ref": logical_id}

    # ---------------------------------------------------------------- IAM
    def _role(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {
            "AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns", "RoleName", "Path", "Description",
            "MaxSessionDuration", "PermissionsBoundary", "Tags",
        })  # fmt: skip
        name = self._name("AWS::IAM::Role", logical_id, props.get("RoleName"))
        iam = self._client("iam")
        optional: dict[str, Any] = {
            k: props[k]
            for k in ("Path", "Description", "MaxSessionDuration", "PermissionsBoundary")
            if k in props
        }
        if "Tags" in props:
            optional["Tags"] = props["Tags"]
        role = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]), **optional
        )["Role"]
        for policy in props.get("Policies", []):
            document = _versioned(logical_id, policy["PolicyDocument"])
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
            )
        for arn in props.get("ManagedPolicyArns", []):
            if ":iam::aws:policy/" in arn:
                try:
                    ensure_aws_managed_policy(arn, self._place.account)
                except KeyError as error:
                    raise ProvisioningError(f"{logical_id}: {error.args[0]}") from None
            try:
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            except iam.exceptions.NoSuchEntityException as error:
                raise ProvisioningError(f"{logical_id}: managed policy {arn} does not exist") from error
        return {"Ref": name, "Arn": role["Arn"], "RoleId": role["RoleId"]}

    def _policy(self, logical_id: str, props: dict[str, Any]) -> Created:
        """An inline policy put on each of its roles (``Ref`` is its name, as CloudFormation says)."""
        self._only(logical_id, props, {"PolicyName", "PolicyDocument", "Roles"})
        if not props.get("Roles"):
            raise ProvisioningError(f"{logical_id}: the local cloud attaches policies to Roles only")
        iam = self._client("iam")
        document = json.dumps(_versioned(logical_id, props["PolicyDocument"]))
        for role in props["Roles"]:
            iam.put_role_policy(
                RoleName=str(role), PolicyName=str(props["PolicyName"]), PolicyDocument=document
            )
        return {"Ref": str(props["PolicyName"]), "Id": str(props["PolicyName"])}

    # ---------------------------------------------------------------- Lambda: recorded, not created
    def _function(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {
            "Code", "Handler", "Runtime", "Role", "Timeout", "MemorySize", "Environment", "Layers",
            "Architectures", "TracingConfig", "LoggingConfig", "Description", "FunctionName", "Tags",
        })  # fmt: skip
        code_dir = self._transformed.code_folder(props.get("Code"))
        if code_dir is None:
            raise ProvisioningError(f"{logical_id}: Code is not a local folder (CodeUri) the runtime can run")
        runtime = str(props.get("Runtime", ""))
        if not runtime.startswith("python3."):
            raise ProvisioningError(
                f"{logical_id}: the local Lambda runtime runs Python functions, not {runtime!r}"
            )
        name = self._name("AWS::Lambda::Function", logical_id, props.get("FunctionName"))
        arn = self._place.arn("lambda", f"function:{name}")
        layers = [str(layer) for layer in props.get("Layers", [])]
        missing = [layer for layer in layers if layer not in self.records.layers]
        if missing:
            raise ProvisioningError(f"{logical_id}: layers {missing} are not layers of this stack")
        variables = props.get("Environment", {}).get("Variables", {})
        self.records.functions[logical_id] = LambdaFunction(
            logical_id=logical_id,
            name=name,
            arn=arn,
            code_dir=code_dir,
            handler=str(props["Handler"]),
            runtime=runtime,
            role_arn=str(props["Role"]),
            timeout=float(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment={str(k): str(v) for k, v in variables.items()},
            layers=layers,
            architectures=[str(a) for a in props.get("Architectures", ["x86_64"])],
            log_group=str(props.get("LoggingConfig", {}).get("LogGroup", f"/aws/lambda/{name}")),
        )
        return {"Ref": name, "Arn": arn}

    def _layer_version(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {
            "Content", "LayerName", "Description", "CompatibleRuntimes", "CompatibleArchitectures",
            "LicenseInfo",
        })  # fmt: skip
        folder = self._transformed.code_folder(props.get("Content"))
        if folder is None:
            raise ProvisioningError(f"{logical_id}: Content is not a local folder (ContentUri)")
        name = self._name("AWS::Lambda::LayerVersion", logical_id, props.get("LayerName"))
        arn = self._place.arn("lambda", f"layer:{name}:1")
        self.records.layers[arn] = folder
        return {"Ref": arn, "LayerVersionArn": arn}

    def _event_invoke_config(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {
            "FunctionName", "Qualifier", "MaximumRetryAttempts", "MaximumEventAgeInSeconds",
            "DestinationConfig",
        })  # fmt: skip
        function = self._function_named(logical_id, props["FunctionName"])
        retries = int(props.get("MaximumRetryAttempts", 2))
        age = int(props.get("MaximumEventAgeInSeconds", 21600))
        # https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
        if not 0 <= retries <= 2 or not 60 <= age <= 21600:
            raise ProvisioningError(
                f"{logical_id}: MaximumRetryAttempts must be 0-2 and MaximumEventAgeInSeconds 60-21600"
            )
        destinations = props.get("DestinationConfig", {})
        if "OnSuccess" in destinations:
            raise ProvisioningError(f"{logical_id}: the local cloud has no OnSuccess destinations")
        queue_url = bus_arn = None
        failure = destinations.get("OnFailure", {}).get("Destination")
        if failure is not None and ":sqs:" in str(failure):
            queue_url = self._client("sqs").get_queue_url(QueueName=str(failure).rsplit(":", 1)[-1])[
                "QueueUrl"
            ]
        elif failure is not None and ":events:" in str(failure) and ":event-bus/" in str(failure):
            bus_arn = str(failure)
        elif failure is not None:
            raise ProvisioningError(
                f"{logical_id}: the local cloud delivers OnFailure records to SQS queues and event buses only"
            )
        function.invoke_config = InvokeConfig(
            maximum_retry_attempts=retries,
            maximum_event_age=float(age),
            on_failure_queue_url=queue_url,
            on_failure_bus_arn=bus_arn,
        )
        return {"Ref": f"{function.name}:{props.get('Qualifier', '$LATEST')}"}

    def _permission(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"Action", "FunctionName", "Principal", "SourceArn", "SourceAccount",
                                       "FunctionUrlAuthType"})  # fmt: skip
        function = self._function_named(logical_id, props["FunctionName"])
        self.records.function_policies.add_permission(
            function.arn,
            logical_id,
            principal=str(props["Principal"]),
            action=str(props["Action"]),
            source_account=props.get("SourceAccount"),
            source_arn=props.get("SourceArn"),
        )
        return {"Ref": logical_id}

    def _url(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"TargetFunctionArn", "AuthType", "Qualifier", "Cors", "InvokeMode"})
        function = self._function_named(logical_id, props["TargetFunctionArn"])
        function.url = f"https://{secrets.token_hex(16)}.lambda-url.{self._place.region}.on.aws/"
        return {"Ref": function.url, "FunctionUrl": function.url, "FunctionArn": function.arn}

    def _event_source_mapping(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {
            "FunctionName", "EventSourceArn", "BatchSize", "FunctionResponseTypes", "Enabled",
            "MaximumBatchingWindowInSeconds", "ScalingConfig",
        })  # fmt: skip
        function = self._function_named(logical_id, props["FunctionName"])
        source = str(props["EventSourceArn"])
        if source.split(":")[2] != "sqs":
            raise ProvisioningError(
                f"{logical_id}: the local cloud polls SQS event sources only, not {source}"
            )
        name = source.rsplit(":", 1)[-1]
        url = self._client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
        attributes = self._client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
            "Attributes"
        ]
        fifo = attributes.get("FifoQueue") == "true"
        batch = int(props.get("BatchSize", 10))
        # CreateEventSourceMapping's own checks (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html,
        # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
        if not 1 <= batch <= (10 if fifo else 10000):
            raise ProvisioningError(
                f"{logical_id}: BatchSize {batch} is out of range for {'a FIFO' if fifo else 'an'} SQS queue"
            )
        if int(attributes.get("VisibilityTimeout", 30)) < function.timeout:
            raise ProvisioningError(
                f"{logical_id}: Queue visibility timeout: {attributes.get('VisibilityTimeout')} seconds "
                f"is less than Function timeout: {function.timeout:g} seconds"
            )
        uuid = secrets.token_hex(16)
        function.event_source_mappings.append(
            SqsEventSource(
                uuid=uuid,
                queue_arn=source,
                queue_url=url,
                batch_size=batch,
                report_batch_item_failures="ReportBatchItemFailures"
                in props.get("FunctionResponseTypes", []),
                fifo=fifo,
                enabled=props.get("Enabled", True) in (True, "true"),
            )
        )
        return {"Ref": uuid, "Id": uuid}

    def _function_named(self, logical_id: str, name: object) -> LambdaFunction:
        try:
            return self.records.function(str(name))
        except KeyError:
            raise ProvisioningError(f"{logical_id}: {name} is not a function of this stack") from None

    # ---------------------------------------------------------------- EventBridge, SQS, Logs, CloudWatch
    def _rule(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"Name", "EventPattern", "EventBusName", "State", "Description",
                                       "ScheduleExpression", "Targets", "RoleArn"})  # fmt: skip
        name = self._name("AWS::Events::Rule", logical_id, props.get("Name"))
        bus = str(props.get("EventBusName", "default"))
        events = self._client("events")
        rule: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
        if "EventPattern" in props:
            pattern = props["EventPattern"]
            rule["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        rule.update({k: props[k] for k in ("Description", "ScheduleExpression", "RoleArn") if k in props})
        arn = events.put_rule(**rule)["RuleArn"]
        applied = {
            "Id",
            "Arn",
            "Input",
            "InputPath",
            "InputTransformer",
            "RetryPolicy",
            "RoleArn",
            "SqsParameters",
        }
        for target in props.get("Targets", []):
            self._only(f"{logical_id} target {target.get('Id')}", target, applied)
        if props.get("Targets"):
            events.put_targets(Rule=name, EventBusName=bus, Targets=props["Targets"])
        return {"Ref": name, "Arn": arn}

    def _queue(self, logical_id: str, props: dict[str, Any]) -> Created:
        attributes = {
            "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
            "VisibilityTimeout", "SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
            "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication",
        }  # fmt: skip
        self._only(logical_id, props, {"QueueName", "Tags", *attributes})
        fifo = props.get("FifoQueue") in (True, "true")
        name = self._name("AWS::SQS::Queue", logical_id, props.get("QueueName"))
        if fifo and "QueueName" not in props:
            # A FIFO queue's name ends in .fifo; CloudFormation's generated name leaves room for it.
            name = name[: 80 - len(".fifo")] + ".fifo"
        elif fifo != name.endswith(".fifo"):
            raise ProvisioningError(
                f"{logical_id}: a FIFO queue's name ends in .fifo, and only a FIFO queue's does"
            )
        values = {
            k: json.dumps(v) if isinstance(v, dict) else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in props.items()
            if k in attributes
        }
        url = self._client("sqs").create_queue(QueueName=name, Attributes=values)["QueueUrl"]
        return {"Ref": url, "QueueUrl": url, "QueueName": name, "Arn": self._place.arn("sqs", name)}

    def _queue_policy(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"Queues", "PolicyDocument"})
        sqs = self._client("sqs")
        for url in props["Queues"]:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
        return {"Ref": logical_id}

    def _log_group(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"LogGroupName", "RetentionInDays", "KmsKeyId", "Tags"})
        name = self._name("AWS::Logs::LogGroup", logical_id, props.get("LogGroupName"))
        logs = self._client("logs")
        logs.create_log_group(
            logGroupName=name, **({"kmsKeyId": props["KmsKeyId"]} if "KmsKeyId" in props else {})
        )
        if "RetentionInDays" in props:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
        return {"Ref": name, "Arn": self._place.arn("logs", f"log-group:{name}:*")}

    def _alarm(self, logical_id: str, props: dict[str, Any]) -> Created:
        api = {
            "AlarmDescription", "MetricName", "Namespace", "Statistic", "Dimensions", "Period",
            "EvaluationPeriods",
            "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "ActionsEnabled",
            "AlarmActions", "OKActions", "InsufficientDataActions", "Unit",
        }  # fmt: skip
        self._only(logical_id, props, {"AlarmName", "Metrics", *api})
        name = self._name("AWS::CloudWatch::Alarm", logical_id, props.get("AlarmName"))
        self._client("cloudwatch").put_metric_alarm(
            AlarmName=name, **{k: v for k, v in props.items() if k in api}
        )
        # moto keeps no metric-math queries (it returns Metrics: []): the evaluation reads them here.
        self.records.alarms[name] = {"AlarmName": name, **props}
        return {"Ref": name, "Arn": self._place.arn("cloudwatch", f"alarm:{name}")}

    # ---------------------------------------------------------------- AppConfig (the local service)
    def _application(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"Name", "Description", "Tags"})
        names.check("AWS::AppConfig::Application", logical_id, str(props["Name"]))
        created = self._appconfig_create("create_application", props, ("Name", "Description"))
        return {"Ref": created["Id"], "ApplicationId": created["Id"]}

    def _environment(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"ApplicationId", "Name", "Description", "Monitors", "Tags",
                                       "DeletionProtectionCheck"})  # fmt: skip
        names.check("AWS::AppConfig::Environment", logical_id, str(props["Name"]))
        self._deletion_check(logical_id, props)
        created = self._appconfig_create(
            "create_environment", props, ("ApplicationId", "Name", "Description", "Monitors")
        )
        return {"Ref": created["Id"], "EnvironmentId": created["Id"]}

    def _profile(self, logical_id: str, props: dict[str, Any]) -> Created:
        keys = ("ApplicationId", "Name", "Description", "LocationUri", "RetrievalRoleArn", "Validators",
                "Type", "KmsKeyIdentifier")  # fmt: skip
        self._only(logical_id, props, {*keys, "Tags", "DeletionProtectionCheck"})
        names.check("AWS::AppConfig::ConfigurationProfile", logical_id, str(props["Name"]))
        self._deletion_check(logical_id, props)
        created = self._appconfig_create("create_configuration_profile", props, keys)
        return {
            "Ref": created["Id"],
            "ConfigurationProfileId": created["Id"],
            "KmsKeyArn": created.get("KmsKeyArn", ""),
        }

    def _strategy(self, logical_id: str, props: dict[str, Any]) -> Created:
        keys = ("Name", "Description", "DeploymentDurationInMinutes", "GrowthFactor", "GrowthType",
                "FinalBakeTimeInMinutes", "ReplicateTo")  # fmt: skip
        self._only(logical_id, props, {*keys, "Tags"})
        names.check("AWS::AppConfig::DeploymentStrategy", logical_id, str(props["Name"]))
        created = self._appconfig_create("create_deployment_strategy", props, keys)
        return {"Ref": created["Id"], "Id": created["Id"]}

    def _extension_association(self, logical_id: str, props: dict[str, Any]) -> Created:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appconfig-extensionassociation.html:
        # the properties are CreateExtensionAssociation's, but Tags is a list of Key/Value pairs there.
        keys = ("ExtensionIdentifier", "ResourceIdentifier", "ExtensionVersionNumber", "Parameters")
        self._only(logical_id, props, {*keys, "Tags"})
        created = self._appconfig_create("create_extension_association", props, keys)
        return {"Ref": created["Id"], **{k: created[k] for k in ("Id", "Arn", "ExtensionArn", "ResourceArn")}}

    # ---------------------------------------------------------------- SNS, KMS, dashboards
    def _topic(self, logical_id: str, props: dict[str, Any]) -> Created:
        attributes = {"DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication"}
        self._only(logical_id, props, {"TopicName", "Tags", *attributes})
        name = self._name("AWS::SNS::Topic", logical_id, props.get("TopicName"))
        values = {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in props.items() if k in attributes
        }
        arn = self._client("sns").create_topic(Name=name, Attributes=values)["TopicArn"]
        return {"Ref": arn, "TopicArn": arn, "TopicName": name}

    def _subscription(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(
            logical_id, props, {"TopicArn", "Protocol", "Endpoint", "RawMessageDelivery", "FilterPolicy"}
        )
        attributes = {k: str(props[k]).lower() if isinstance(props[k], bool) else str(props[k])
                      for k in ("RawMessageDelivery",) if k in props}  # fmt: skip
        if "FilterPolicy" in props:
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        created = self._client("sns").subscribe(
            TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"],
            Attributes=attributes, ReturnSubscriptionArn=True,
        )  # fmt: skip
        return {"Ref": created["SubscriptionArn"], "Arn": created["SubscriptionArn"]}

    def _topic_policy(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"Topics", "PolicyDocument"})
        sns = self._client("sns")
        for arn in props["Topics"]:
            sns.set_topic_attributes(
                TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(props["PolicyDocument"])
            )
        return {"Ref": logical_id}

    def _key(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"Description", "KeyPolicy", "EnableKeyRotation", "KeyUsage", "KeySpec",
                                       "Enabled", "Tags"})  # fmt: skip
        kms = self._client("kms")
        request: dict[str, Any] = {"Policy": json.dumps(props["KeyPolicy"])} if "KeyPolicy" in props else {}
        if "Description" in props:
            request["Description"] = str(props["Description"])
        metadata = kms.create_key(**request)["KeyMetadata"]
        if props.get("EnableKeyRotation") in (True, "true"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        return {"Ref": metadata["KeyId"], "KeyId": metadata["KeyId"], "Arn": metadata["Arn"]}

    def _dashboard(self, logical_id: str, props: dict[str, Any]) -> Created:
        self._only(logical_id, props, {"DashboardName", "DashboardBody"})
        name = self._name("AWS::CloudWatch::Dashboard", logical_id, props.get("DashboardName"))
        body = props["DashboardBody"]
        json.loads(body)  # CloudWatch refuses a body that is not JSON; so does the local cloud
        self._client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=body)
        return {"Ref": name}

    def _appconfig_create(
        self, operation: str, props: dict[str, Any], keys: tuple[str, ...]
    ) -> dict[str, Any]:
        request = {k: props[k] for k in keys if k in props}
        if props.get("Tags"):
            request["Tags"] = self._tags(props)
        created: dict[str, Any] = getattr(self._client("appconfig"), operation)(**request)
        return created

    def _deletion_check(self, logical_id: str, props: dict[str, Any]) -> None:
        # Not a Create parameter: CloudFormation passes it to DeleteEnvironment and
        # DeleteConfigurationProfile when the stack is deleted.
        self.records.deletion_protection[logical_id] = str(
            props.get("DeletionProtectionCheck", "ACCOUNT_DEFAULT")
        )


def _lifecycle_rule(logical_id: str, rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's lifecycle rule as PutBucketLifecycleConfiguration's."""
    known = {"Id", "Status", "Prefix", "TagFilters", "ExpirationInDays", "NoncurrentVersionExpiration",
             "AbortIncompleteMultipartUpload"}  # fmt: skip
    unknown = sorted(set(rule) - known)
    if unknown:
        raise ProvisioningError(f"{logical_id}: lifecycle rule properties {unknown} are not applied locally")
    # CloudFormation's Prefix and TagFilters together are the API's And filter.
    tags = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in rule.get("TagFilters", [])]
    prefix = str(rule.get("Prefix", ""))
    filter_: dict[str, Any] = {"Prefix": prefix}
    if tags:
        filter_ = {"And": {"Prefix": prefix, "Tags": tags}} if prefix or len(tags) > 1 else {"Tag": tags[0]}
    api: dict[str, Any] = {"Status": rule["Status"], "Filter": filter_}
    if "Id" in rule:
        api["ID"] = rule["Id"]
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": rule["ExpirationInDays"]}
    for key in ("NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"):
        if key in rule:
            api[key] = rule[key]
    return api


def _notifications(logical_id: str, config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration as PutBucketNotificationConfiguration's."""
    api: dict[str, Any] = {}
    destinations = (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    )
    for cfn_key, api_key, cfn_arn, api_arn in destinations:
        for item in config.get(cfn_key, []):
            entry: dict[str, Any] = {api_arn: item[cfn_arn], "Events": [item["Event"]]}
            if "Filter" in item:
                entry["Filter"] = {"Key": {"FilterRules": item["Filter"]["S3Key"]["Rules"]}}
            api.setdefault(api_key, []).append(entry)
    bridge = config.get("EventBridgeConfiguration", {})
    if bridge.get("EventBridgeEnabled") in (True, "true"):
        api["EventBridgeConfiguration"] = {}
    unknown = sorted(set(config) - {d[0] for d in destinations} - {"EventBridgeConfiguration"})
    if unknown:
        raise ProvisioningError(f"{logical_id}: notification settings {unknown} are not applied locally")
    return api


def _versioned(logical_id: str, document: dict[str, Any]) -> dict[str, Any]:
    """The policy with a ``Version``: moto refuses documents without one, which IAM accepts.

    IAM reads a missing Version as 2008-10-17, which differs from 2012-10-17 only in not
    replacing policy variables (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html);
    SAM writes its generated policies without one. A document that uses ``${...}`` variables
    would change meaning, so it is refused instead."""
    if "Version" in document:
        return document
    if "${" in json.dumps(document):
        raise ProvisioningError(
            f"{logical_id}: a policy without Version uses ${{...}}, which IAM reads literally (2008-10-17)"
        )
    return {"Version": "2012-10-17", **document}
