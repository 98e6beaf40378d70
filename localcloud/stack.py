"""Create what template.yaml describes in the local cloud, the way CloudFormation does.

1. The SAM transform runs (AWS's own translator, ``localcloud.cfn.transform``): the template
   becomes plain CloudFormation, with the roles, permissions, rules and event invoke configs
   SAM generates.
2. Conditions decide which resources exist; the rest are created in dependency order (a
   topological order of ``Ref``/``Fn::GetAtt``/``Fn::Sub``/``DependsOn``, ``localcloud.cfn.order``),
   each through the real boto3 API of the service that owns it (``localcloud.cfn.resources``),
   so ``!Ref`` and ``!GetAtt`` resolve to the physical names and IDs the services gave.
3. Names follow CloudFormation's (``stack-LogicalId-SUFFIX`` when none is given) and the
   services' limits (``localcloud.cfn.names``).

Every ``AWS::IAM::Role`` is created in moto's IAM with its trust policy, its inline policies
(PutRolePolicy) and its managed policies (AttachRolePolicy; AWS's managed policies are added
from moto's copy of AWS's documents, ``localcloud.moto``). Functions are not uploaded:
``Stack.functions`` holds each one as Lambda would (code folder, handler, role ARN, environment,
layers, event invoke config, resource-based permissions), and ``function_specs`` hands them to
the local Lambda runtime, each with a session of its execution role (assumed as
``lambda.amazonaws.com``, which the role's trust policy must allow), as Lambda gives it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.cfn import names
from localcloud.cfn.order import creation_order
from localcloud.cfn.resources import Creators, LambdaFunction, Place, ProvisioningError, Records
from localcloud.cfn.transform import Transformed, sam_transform
from localcloud.iam.accounts import LAMBDA, Accounts
from localcloud.lambda_runtime.functions import FunctionSpec
from localcloud.moto import aws_managed_policy_arns
from localcloud.template import PSEUDO, Resolver, Unresolved, load

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from localcloud.iam.lambda_permissions import FunctionPolicies
    from localcloud.lambda_runtime.async_invoke import InvokeConfig

ACCOUNT = PSEUDO["AWS::AccountId"]
REGION = PSEUDO["AWS::Region"]
DEFAULT_STACK_NAME = PSEUDO["AWS::StackName"]

__all__ = ["ProvisioningError", "Stack", "StackResolver", "provision"]


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
        return {**super()._functions(), "Fn::GetAtt": lambda a: self._attribute(*_getatt(a))}

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
    name: str
    stack_id: str
    resolver: StackResolver
    """Resolves against the transformed template and the resources created."""
    records: Records
    transformed: Transformed
    function_credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    """Function -> its execution role's session (AWS_ACCESS_KEY_ID ...), as Lambda gives it."""

    @property
    def functions(self) -> dict[str, LambdaFunction]:
        return self.records.functions

    @property
    def function_policies(self) -> FunctionPolicies:
        """Who may invoke which function (the stack's AWS::Lambda::Permission resources)."""
        return self.records.function_policies

    @property
    def alarms(self) -> dict[str, dict[str, Any]]:
        """Alarm name -> its definition as the template gives it (resolved)."""
        return self.records.alarms

    @property
    def invoke_configs(self) -> dict[str, InvokeConfig]:
        return {logical_id: f.invoke_config for logical_id, f in self.functions.items()}

    @property
    def function_environment(self) -> dict[str, dict[str, str]]:
        return {logical_id: dict(f.environment) for logical_id, f in self.functions.items()}

    def function_specs(self) -> list[FunctionSpec]:
        """Each function as the local Lambda runtime runs it."""
        return [
            FunctionSpec(
                name=f.logical_id,
                code_dir=f.code_dir,
                handler=f.handler,
                timeout=f.timeout,
                memory_mb=f.memory_mb,
                environment={**f.environment, **self.function_credentials.get(f.logical_id, {})},
                layer_paths=tuple(_import_path(self.records.layers[arn]) for arn in f.layers),
                physical_name=f.name,
                arn=f.arn,
                role_arn=f.role_arn,
            )
            for f in self.functions.values()
        ]

    def ref(self, logical_id: str) -> Any:
        return self.resolver.physical[logical_id]["Ref"]

    def attribute(self, logical_id: str, attribute: str) -> Any:
        return self.resolver.physical[logical_id][attribute]

    def output(self, name: str) -> Any:
        return self.resolver.resolve(self.resolver.template["Outputs"][name]["Value"])


def provision(
    template_path: Path,
    parameters: dict[str, str],
    client: Callable[[str], Any],
    *,
    stack_name: str = DEFAULT_STACK_NAME,
    region: str = REGION,
    account: str = ACCOUNT,
) -> Stack:
    """Create the stack; ``client(service)`` returns a boto3 client bound to the local cloud."""
    names.check_stack_name(stack_name)
    stack_id = f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/{uuid.uuid4()}"
    pseudo = {
        **PSEUDO,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id,
    }
    source = load(template_path)
    _check_parameters(source, parameters)
    transformed = sam_transform(
        source,
        base=template_path.parent,
        parameters={**_parameter_values(source, parameters), **pseudo},
        region=region,
        managed_policies=aws_managed_policy_arns,
    )
    template = transformed.template
    resolver = StackResolver(template, dict(parameters), pseudo)
    resources: dict[str, Any] = template.get("Resources", {})
    active = [
        logical_id
        for logical_id, resource in resources.items()
        if "Condition" not in resource or resolver.condition(resource["Condition"])
    ]
    records = Records()
    creators = Creators(Place(stack_name, region, account), client, transformed, records)
    for logical_id in creation_order(template, active):
        resource = resources[logical_id]
        try:
            properties = resolver.resolve(resource.get("Properties", {}))
        except (Unresolved, KeyError, IndexError) as error:
            raise ProvisioningError(f"{logical_id}: cannot resolve {error}") from error
        resolver.physical[logical_id] = creators.create(resource["Type"], logical_id, properties)
    accounts = Accounts(account, region)
    credentials = {
        logical_id: accounts.assume_role_as_service(
            function.role_arn, LAMBDA, function.name, duration_seconds=43200
        ).environment()
        for logical_id, function in records.functions.items()
    }
    return Stack(stack_name, stack_id, resolver, records, transformed, credentials)


def _check_parameters(template: dict[str, Any], given: dict[str, str]) -> None:
    """What CloudFormation checks before it creates anything: known names, allowed values, patterns."""
    import re

    declared: dict[str, Any] = template.get("Parameters", {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ProvisioningError(f"parameters {unknown} are not declared by the template")
    for name, spec in declared.items():
        if name not in given and "Default" not in spec:
            raise ProvisioningError(f"parameter {name} has no value and no default")
        value = str(given.get(name, spec.get("Default")))
        if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
            raise ProvisioningError(f"parameter {name}={value!r} is not one of {spec['AllowedValues']}")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
            raise ProvisioningError(f"parameter {name}={value!r} does not match {spec['AllowedPattern']}")
        if spec.get("Type") == "String" and not spec.get("MinLength", 0) <= len(value) <= spec.get(
            "MaxLength", len(value)
        ):
            raise ProvisioningError(f"parameter {name}={value!r} breaks its length limits")


def _parameter_values(template: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    defaults = {k: v["Default"] for k, v in template.get("Parameters", {}).items() if "Default" in v}
    return {**defaults, **given}


def _import_path(folder: Path) -> Path:
    """Where Lambda puts a layer's Python code on the path: its ``python/`` folder, if it has one."""
    return folder / "python" if (folder / "python").is_dir() else folder


def _getatt(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        logical_id, attribute = argument.split(".", 1)
        return logical_id, attribute
    return str(argument[0]), str(argument[1])
