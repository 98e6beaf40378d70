"""The ``AWS::LanguageExtensions`` transform, as CloudFormation runs it before the SAM transform.

It expands ``Fn::ForEach`` loops (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-foreach.html)
with the stack's parameter values: every ``${Identifier}`` and ``&{Identifier}`` of the loop's
keys and ``Fn::Sub`` strings, and every ``Ref`` to the identifier, take each value of the
collection in turn (``&{}`` with the non-alphanumeric characters left out, which is how a value
such as ``feature-file.yml`` becomes part of a logical ID); a key made twice is an error.

The expansion is cfn-lint's (``cfnlint.template.transforms._language_extensions``), the one that
``cfn-lint`` and ``sam validate --lint`` check the template with, fed the stack's values instead
of the parameters' defaults. cfn-lint makes up names for a collection it cannot resolve (it only
lints); here a collection must be a literal list or a ``Ref`` to a list parameter, and anything
else is refused by name. ``tests/template`` compares the result with SAM CLI's own expansion.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

TRANSFORM = "AWS::LanguageExtensions"
_FOR_EACH = re.compile(r"^Fn::ForEach::[A-Za-z0-9]+$")
LIST_TYPES = ("CommaDelimitedList", "List<")


class LanguageExtensionsError(ValueError):
    """A template the transform refuses, or one the local cloud cannot expand as AWS would."""


def uses(template: dict[str, Any]) -> bool:
    return TRANSFORM in transforms(template)


def transforms(template: dict[str, Any]) -> list[str]:
    declared = template.get("Transform") or []
    return [declared] if isinstance(declared, str) else list(declared)


def is_list_parameter(spec: dict[str, Any]) -> bool:
    return str(spec.get("Type", "String")).startswith(LIST_TYPES)


def list_value(value: str) -> list[str]:
    """A CommaDelimitedList's members: "each member string is space trimmed" (Parameters)."""
    return [member.strip() for member in value.split(",")]


def expand(template: dict[str, Any], parameters: dict[str, str], *, region: str) -> dict[str, Any]:
    """The template with every ``Fn::ForEach`` expanded and the transform taken off its list.

    ``parameters``: the stack's values (a list parameter as its comma-separated text); a
    parameter not given takes its default."""
    if not uses(template):
        return template
    declared: dict[str, Any] = template.get("Parameters", {})
    _check_collections(template, declared)
    values = {k: spec["Default"] for k, spec in declared.items() if "Default" in spec}
    values.update(parameters)
    for name, spec in declared.items():
        if is_list_parameter(spec) and name in values and "" in list_value(str(values[name])):
            raise LanguageExtensionsError(f"parameter {name}={values[name]!r} has an empty member")
    # cfn-lint resolves a Ref in a collection to the parameter's Default: give it the stack's.
    fed = copy.deepcopy(template)
    for name, spec in fed.get("Parameters", {}).items():
        if name in values:
            spec["Default"] = str(values[name])
    from cfnlint.template.transforms._language_extensions import _Transform

    expanded: dict[str, Any] = _Transform()._walk(fed, {}, _Cfn(fed, [region]))
    left = _loops(expanded)
    if left:
        raise LanguageExtensionsError(f"Fn::ForEach left unexpanded at {', '.join(left)}")
    expanded["Parameters"] = copy.deepcopy(template.get("Parameters", {}))
    rest = [name for name in transforms(template) if name != TRANSFORM]
    if rest:
        expanded["Transform"] = rest[0] if len(rest) == 1 else rest
    else:
        expanded.pop("Transform", None)
    return expanded


@dataclass
class _Cfn:
    """What cfn-lint's transform reads of its template object."""

    template: dict[str, Any]
    regions: list[str] = field(default_factory=lambda: ["us-east-1"])


def _check_collections(template: dict[str, Any], declared: dict[str, Any]) -> None:
    # "The name must be unique within the template and can't conflict with any logical ID
    # values in the Resources section of the template" (Fn::ForEach); SAM CLI also refuses a
    # parameter's name.
    names: dict[str, str] = {}
    taken = set(declared) | set(template.get("Resources", {}))
    for path, _body in _loop_bodies(template):
        name = path.rsplit("Fn::ForEach::", 1)[-1]
        if name in names or name in taken:
            raise LanguageExtensionsError(f"{path}: loop name {name!r} is not unique in the template")
        names[name] = path
    for path, loop in _loop_bodies(template):
        if not (isinstance(loop, list) and len(loop) == 3 and isinstance(loop[2], dict)):
            raise LanguageExtensionsError(f"{path}: Fn::ForEach takes [identifier, collection, fragment]")
        identifier, collection = loop[0], loop[1]
        if not isinstance(identifier, str) or not identifier:
            raise LanguageExtensionsError(f"{path}: the loop's identifier must be a string")
        if isinstance(collection, list):
            if not all(isinstance(item, str) for item in collection):
                raise LanguageExtensionsError(f"{path}: the local cloud expands collections of strings only")
            continue
        ref = collection.get("Ref") if isinstance(collection, dict) and len(collection) == 1 else None
        spec = declared.get(ref) if isinstance(ref, str) else None
        if spec is None or not is_list_parameter(spec):
            raise LanguageExtensionsError(
                f"{path}: the collection must be a list or a Ref to a list parameter, not {collection!r}"
            )


def _loop_bodies(value: Any, path: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}/{key}" if path else str(key)
            if isinstance(key, str) and _FOR_EACH.match(key):
                found.append((here, item))
                if isinstance(item, list) and len(item) == 3:
                    found += _loop_bodies(item[2], here)
            else:
                found += _loop_bodies(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _loop_bodies(item, f"{path}[{index}]")
    return found


def _loops(value: Any, path: str = "") -> list[str]:
    return [where for where, _ in _loop_bodies(value, path)]
