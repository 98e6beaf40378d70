"""The whole pipeline on one machine: moto, the local AppConfig service, the template's stack
(provisioned as CloudFormation provisions it), its functions run as Lambda runs them, and S3's
events delivered through EventBridge as AWS delivers them (at least once, in any order).

``make demo``, ``make local-up`` and the end-to-end tests all start it::

    with LocalPipeline(time_scale=600) as cloud:
        version = cloud.upload(Path("feature-file.yml").read_bytes())
        cloud.settle()
        cloud.deployments()
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud import s3_writes
from localcloud.alarms import LambdaErrorAlarms
from localcloud.appconfig import CALLED_SERVICES, LocalAppConfig, ScaledClock
from localcloud.clients import Clients
from localcloud.consumers import ConsumerEnvironment
from localcloud.delivery import DeliveryChaos, LambdaDeliveries
from localcloud.eventbridge import EventBus
from localcloud.iam.accounts import APPCONFIG
from localcloud.iam.lambda_permissions import FunctionPolicies, PermittedInvoker
from localcloud.lambda_runtime.async_invoke import AsyncInvoker
from localcloud.lambda_runtime.functions import TemplateFunctions
from localcloud.moto import MotoServer, fake_aws_environment
from localcloud.s3_events import S3Notifications
from localcloud.sqs import QueuePollers, SqsClock, queue_is_empty
from localcloud.stack import DEFAULT_STACK_NAME, Stack, provision

if TYPE_CHECKING:
    from types import TracebackType

    from mypy_boto3_appconfig.type_defs import DeploymentSummaryTypeDef

    from localcloud.delivery import QueueTarget
    from localcloud.lambda_runtime.functions import Invocation

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "appconfig-cache"
IN_PROGRESS = ("VALIDATING", "DEPLOYING", "BAKING", "ROLLING_BACK")


class LocalPipeline:
    def __init__(
        self,
        *,
        template: Path = ROOT / "template.yaml",
        parameters: dict[str, str] | None = None,
        time_scale: float = 600.0,
        chaos: DeliveryChaos | None = None,
        concurrency: int = 4,
        moto_port: int | None = None,
        appconfig_port: int = 0,
        stack_name: str = DEFAULT_STACK_NAME,
    ) -> None:
        self.template = template
        self.parameters = dict(parameters or {})
        self.stack_name = stack_name
        self.time_scale = time_scale
        self._chaos = chaos
        self._concurrency = concurrency
        self.moto = MotoServer(moto_port)
        self._appconfig_port = appconfig_port
        self._saved_env: dict[str, str | None] = {}
        self.functions = TemplateFunctions(template, parameters=self.parameters)
        self.appconfig: LocalAppConfig[ScaledClock]
        self.stack: Stack
        self.invoker: AsyncInvoker
        self.deliveries: LambdaDeliveries
        """Every event source's deliveries to functions: ``chaos``, ``holding``, ``held``."""
        self.events: EventBus
        self.notifications: S3Notifications
        self.alarms: LambdaErrorAlarms
        self.sqs_clock: SqsClock
        self.pollers: QueuePollers
        """Lambda's SQS event source mappings: the deploy queue's and the orders queues'."""
        self._consumers: list[ConsumerEnvironment] = []

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> LocalPipeline:
        self.moto.start()
        # SQS's visibility timeouts wait for deployments: they run on the same scaled time.
        self.sqs_clock = SqsClock(self.time_scale).install()
        # moto keeps one set of accounts per process: a pipeline's stack (its roles above all)
        # starts from an empty account, as a fresh CloudFormation stack in a new account would.
        MotoServer.reset(self.moto.endpoint)
        # AppConfig invokes validators only as the functions' resource-based policies allow it.
        self._function_policies = FunctionPolicies()
        self.appconfig = LocalAppConfig(
            ScaledClock(self.time_scale),
            s3_endpoint=self.moto.endpoint,
            cloudwatch_endpoint=self.moto.endpoint,
            endpoints=dict.fromkeys(CALLED_SERVICES, self.moto.endpoint),
            functions=PermittedInvoker(
                self.functions, self._function_policies, service=APPCONFIG, arn_of=self._function_arn
            ),
            port=self._appconfig_port,
        ).start()
        # Functions run in their own processes and inherit AWS_* from here, as code under test
        # would on a developer's machine: no test hook in the functions themselves.
        self._set_environment({**fake_aws_environment(), **self.endpoints})
        self.stack = provision(self.template, self.parameters, self.client, stack_name=self.stack_name)
        self._function_policies.replace(self.stack.function_policies)
        # Each function calls AWS with its execution role's session, as Lambda runs it.
        for spec in self.stack.function_specs():
            self.functions.register(spec)
        self._publish_outputs()
        self.invoker = AsyncInvoker(
            self.functions,
            configs=self.stack.invoke_configs,
            time_scale=self.time_scale,
            concurrency=self._concurrency,
            sqs=self.client("sqs"),
            events=self.client("events"),
        )
        self.deliveries = LambdaDeliveries(self._invoke, self._chaos, send=self._send_to_queue)
        self.events = EventBus(self.deliveries, self.stack.records, self.stack.function_policies).install()
        self.pollers = QueuePollers(
            [(f.logical_id, s) for f in self.stack.functions.values() for s in f.event_source_mappings],
            invoke=self.functions.invoke,
            client_for=self._role_client,
            region=self.stack.resolver.pseudo["AWS::Region"],
        ).start()
        self.notifications = S3Notifications(
            self.deliveries, lambda arn: self.stack.records.function(arn).logical_id
        ).install()
        self.alarms = LambdaErrorAlarms(
            self.client("cloudwatch"),
            self.stack.alarms,
            time_scale=self.time_scale,
            sqs=self.client("sqs"),
            sns=self.client("sns"),
        ).start()
        # Lambda publishes every invocation's metrics, whoever invoked: S3, EventBridge, AppConfig.
        self.functions.observers.append(
            lambda spec, result: self.alarms.record(spec.function_name, failed=result.failed)
        )
        return self

    def consumer(self, function: str, *, stage: str | None = None, **settings: str) -> ConsumerEnvironment:
        """A started execution environment of a consumer, with the real extension from the layer.

        ``function``: its logical ID, or the consumer's name without the stage
        (``FlagsApiFunction``) for that consumer of ``stage`` (the first by default).
        ``settings`` override the function's variables (e.g. the extension's poll interval)."""
        if function not in self.stack.functions:
            function = self.consumer_id(function, stage)
        environment = {
            **self.stack.function_environment[function],
            **self.stack.function_credentials[function],
            **settings,
        }
        consumer = ConsumerEnvironment(
            self.functions, function, layer=LAYER, environment=environment,
            resolver=self.stack.resolver,
        )  # fmt: skip
        self._consumers.append(consumer)
        return consumer.start()

    def stop(self) -> None:
        for consumer in self._consumers:
            consumer.stop()
        self.alarms.stop()
        self.pollers.stop()
        self.notifications.uninstall()
        self.events.uninstall()
        self.invoker.stop()
        self.functions.close()
        self.appconfig.stop()
        self.sqs_clock.uninstall()
        self.moto.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> LocalPipeline:
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | None) -> None:
        self.stop()

    # --- use ----------------------------------------------------------------------------------
    @property
    def endpoints(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.moto.endpoint,
            "AWS_ENDPOINT_URL_APPCONFIG": self.appconfig.endpoint,
            "AWS_ENDPOINT_URL_APPCONFIGDATA": self.appconfig.endpoint,
        }

    @property
    def client(self) -> Clients:
        """``client(service)``: a boto3 client on this cloud, typed by service."""
        return Clients(moto=self.moto.endpoint, appconfig=self.appconfig.endpoint)

    @property
    def bucket(self) -> str:
        return str(self.stack.ref("ConfigBucket"))

    @property
    def configurations(self) -> list[str]:
        """The configurations' file names, as the Configurations parameter lists them."""
        return list(self.stack.resolver.parameter("Configurations"))

    @property
    def environments(self) -> list[str]:
        """The stages, in promotion order."""
        return list(self.stack.resolver.parameter("Environments"))

    @property
    def keys(self) -> list[str]:
        return [self.key_of(name) for name in self.configurations]

    @property
    def key(self) -> str:
        """The first configuration's key."""
        return self.keys[0]

    def key_of(self, configuration: str) -> str:
        return str(self.stack.resolver.parameter("ConfigPrefix")) + configuration

    def logical_id(self, stem: str, item: str) -> str:
        """A looped resource's logical ID: ``stem`` and the item with its non-alphanumerics left
        out, as Fn::ForEach's ``&{}`` makes it (``Environment``, ``staging`` -> ``Environmentstaging``)."""
        return stem + re.sub("[^0-9a-zA-Z]", "", item)

    def environment_id(self, environment: str | None = None) -> str:
        name = environment or self.environments[0]
        return str(self.stack.attribute(self.logical_id("Environment", name), "EnvironmentId"))

    def profile_id(self, key: str | None = None) -> str:
        name = (key or self.key)[len(self.key_of("")) :]
        return str(self.stack.ref(self.logical_id("Profile", name)))

    def consumer_id(self, function: str, environment: str | None = None) -> str:
        """``FlagsApiFunction`` or ``OrderWorkerFunction`` of a stage (the first by default)."""
        return self.logical_id(function, environment or self.environments[0])

    def ids(self, environment: str | None = None) -> dict[str, str]:
        return {
            "ApplicationId": str(self.stack.ref("Application")),
            "EnvironmentId": self.environment_id(environment),
        }

    def upload(self, body: bytes, key: str | None = None) -> str:
        """PUT through the S3 API; returns the version S3 gave it. S3 then notifies on its own."""
        response = self.client("s3").put_object(
            Bucket=self.bucket, Key=key or self.key, Body=body, ContentType="application/x-yaml"
        )
        return str(response.get("VersionId"))

    def restore(self, version: str) -> str:
        """Copy an older version onto the key, as S3 documents restoring one; returns the new version."""
        return s3_writes.copy(self.client("s3"), self.bucket, self.key, version)

    def configuration_session(self) -> str:
        """An AppConfigData session on the stack's configuration: its initial token."""
        token = self.client("appconfigdata").start_configuration_session(
            ApplicationIdentifier=self.ids()["ApplicationId"],
            EnvironmentIdentifier=self.ids()["EnvironmentId"],
            ConfigurationProfileIdentifier=self.profile_id(),
        )["InitialConfigurationToken"]
        return str(token)

    def deployments(self, environment: str | None = None) -> list[DeploymentSummaryTypeDef]:
        """A stage's deployments (the first stage's by default), newest first, every page."""
        ids = self.ids(environment)
        pages = (
            self.client("appconfig")
            .get_paginator("list_deployments")
            .paginate(ApplicationId=ids["ApplicationId"], EnvironmentId=ids["EnvironmentId"])
        )
        return [item for page in pages for item in page["Items"]]

    def handled(self, timeout: float = 60.0) -> bool:
        """Wait until every notification and queued request is handled (deployments may still be
        in progress); False if that takes longer than ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            if self.notifications.errors:
                raise RuntimeError("S3 could not notify: " + "; ".join(self.notifications.errors))
            drained = self.invoker.drain(max(0.0, deadline - time.monotonic()))
            if drained and not self._queued() and self.invoker.drain(0):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def _queued(self) -> bool:
        """A request waits on, or is being handled from, an event source's queue."""
        sqs = self.client("sqs")
        queues = [polled.source.queue_url for polled in self.pollers.sources]
        return self.pollers.busy or not all(queue_is_empty(sqs, url) for url in queues)

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until every notification and queued request is handled and no deployment is in
        progress in any stage."""
        deadline = time.monotonic() + timeout
        while True:
            if self.notifications.errors:
                raise RuntimeError("S3 could not notify: " + "; ".join(self.notifications.errors))
            drained = self.invoker.drain(max(0.0, deadline - time.monotonic()))
            queued = self._queued()
            busy = any(d["State"] in IN_PROGRESS for env in self.environments for d in self.deployments(env))
            # Read twice: a request handled between the two reads may have queued another.
            if drained and not queued and not busy and not self.pollers.busy and self.invoker.drain(0):
                return
            if time.monotonic() > deadline:
                what = (
                    "notifications still being handled"
                    if not drained
                    else ("deploy requests still queued" if queued else "deployments in progress")
                )
                raise TimeoutError(f"the pipeline did not settle: {what}")
            time.sleep(0.05)

    def deploy_invocations(self) -> list[Invocation]:
        """Every invocation of the deploy function by its queue's event source mapping."""
        return [
            i
            for polled in self.pollers.sources
            if polled.function == "DeployFunction"
            for i in polled.invocations
        ]

    def deploy_batches(self) -> list[tuple[dict[str, Any], Invocation]]:
        """Each invocation of the deploy function by its queue's mapping, with its event."""
        return [
            pair
            for polled in self.pollers.sources
            if polled.function == "DeployFunction"
            for pair in zip(polled.batches, polled.invocations, strict=True)
        ]

    def deploy_results(self, *, waiting: bool = False) -> list[dict[str, Any]]:
        """The result of every request the deploy function decided; ``waiting`` ones (held for
        another configuration's deployment, decided again later) only if asked for."""
        return [
            result
            for invocation in self.deploy_invocations()
            if not invocation.failed
            for result in invocation.payload.get("results", [])
            if waiting or result.get("outcome") != "waiting"
        ]

    def _send_to_queue(self, queue: QueueTarget, body: Any, delay: float) -> None:
        self.events.send_to_queue(queue, body, delay)

    def _role_client(self, function: str) -> Any:
        """An SQS client with the function's execution role, as Lambda polls its event sources."""
        import boto3

        credentials = self.stack.function_credentials[function]
        return boto3.client(
            "sqs",
            endpoint_url=self.moto.endpoint,
            region_name="us-east-1",
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=credentials["AWS_SESSION_TOKEN"],
        )

    def pass_time(self, seconds: float) -> None:
        """``seconds`` of real time go by at once, between invocations: the service's clock and
        every consumer's (frozen) environment move on together, as they would in AWS."""
        for consumer in self._consumers:
            consumer.pass_time(seconds)
        self.appconfig.clock.skip(seconds)

    def _function_arn(self, name: str) -> str:
        logical_id = self.functions.logical_id(name)
        return str(self.stack.attribute(logical_id, "Arn"))

    def _invoke(self, function: str, event: dict[str, Any], delay: float) -> None:
        self.invoker.invoke(function, event, delay=delay)

    def outputs(self) -> dict[str, str]:
        """The stack's outputs, as DescribeStacks gives them (those whose condition holds)."""
        template = self.stack.resolver.template
        found: dict[str, str] = {}
        for name, output in template.get("Outputs", {}).items():
            condition = output.get("Condition")
            if condition and not self.stack.resolver.condition(condition):
                continue
            found[name] = str(self.stack.output(name))
        return found

    def _publish_outputs(self) -> None:
        """A stack of the same name in moto's CloudFormation that carries the outputs, so that
        tools that read a stack (``rollout --stack NAME``) find it, as they would in AWS. Its one
        resource is a placeholder: the resources themselves were created by ``provision``."""
        import json
        import warnings

        template = {
            "Resources": {"Provisioned": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {name: {"Value": value} for name, value in self.outputs().items()},
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # moto: "WaitConditionHandle ... not supported"
            self.client("cloudformation").create_stack(
                StackName=self.stack_name, TemplateBody=json.dumps(template)
            )

    def _set_environment(self, variables: dict[str, str]) -> None:
        for name, value in variables.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value
