"""Read a SAM/CloudFormation template the way the local cloud needs it: its functions.

CloudFormation's short-form tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...) become their long forms
(``{"Ref": ...}``, ``{"Fn::Sub": ...}``), so a plain YAML loader can read the file. Values are
resolved where the template alone decides them (parameter defaults, pseudo parameters, ``!Sub``
over those, ``!If`` on resolvable conditions); anything that needs a deployed stack (a
resource's ``!Ref`` or ``!GetAtt``) stays unresolved and is reported, never guessed.
``!Ref AWS::NoValue`` removes the property, or the list item, it stands for, as CloudFormation
removes it (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
"""What ``!Ref AWS::NoValue`` resolves to; ``Resolver.resolve`` drops it from objects and lists."""

PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "local",
    "AWS::StackId": (
        "arn:aws:cloudformation:us-east-1:123456789012:stack/local/00000000-0000-0000-0000-000000000000"
    ),
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": NO_VALUE,
}


class Unresolved(Exception):
    """The value depends on a deployed resource."""


class _Loader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        document = yaml.load(handle, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a template")
    return document


@dataclass
class Resolver:
    template: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)
    pseudo: dict[str, Any] = field(default_factory=lambda: dict(PSEUDO))

    def parameter(self, name: str) -> Any:
        """A parameter's value as ``Ref`` gives it: a Number as a number, a list type as a list."""
        if name in self.pseudo:
            return self.pseudo[name]
        spec = self.template.get("Parameters", {}).get(name)
        if name in self.parameters:
            value: Any = self.parameters[name]
        elif spec is not None and "Default" in spec:
            value = spec["Default"]
        else:
            raise Unresolved(name)
        kind = str((spec or {}).get("Type", "String"))
        if kind == "Number" and isinstance(value, str | int | float):
            number = float(value)
            return int(number) if number.is_integer() else number
        if kind.startswith(("CommaDelimitedList", "List<")) and isinstance(value, str):
            # CloudFormation trims the spaces around each member of a CommaDelimitedList.
            return [member.strip() for member in value.split(",")]
        return value

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic the template decides; raises Unresolved otherwise."""
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            function = self._functions().get(key)
            if function is not None:
                return function(arg)
            if key.startswith("Fn::"):
                raise Unresolved(key)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        r = self.resolve
        return {
            "Ref": self.parameter,
            "Condition": self.condition,
            "Fn::Sub": self._fn_sub,
            "Fn::Join": lambda a: str(a[0]).join(str(r(v)) for v in r(a[1])),
            "Fn::Select": lambda a: r(a[1])[int(r(a[0]))],
            "Fn::Split": lambda a: str(r(a[1])).split(a[0]),
            "Fn::If": lambda a: r(a[1] if self.condition(a[0]) else a[2]),
            "Fn::FindInMap": lambda a: self.template["Mappings"][r(a[0])][r(a[1])][r(a[2])],
            "Fn::Equals": lambda a: r(a[0]) == r(a[1]),
            "Fn::Not": lambda a: not r(a[0]),
            "Fn::And": lambda a: all(r(v) for v in a),
            "Fn::Or": lambda a: any(r(v) for v in a),
        }

    def _fn_sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        bound = {k: self.resolve(v) for k, v in extra.items()}
        return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self._sub(m.group(1), bound)), text)

    def _sub(self, name: str, bound: dict[str, Any]) -> Any:
        if name in bound:
            return bound[name]
        if "." in name:
            raise Unresolved(name)  # ${Resource.Attribute}
        return self.parameter(name)
