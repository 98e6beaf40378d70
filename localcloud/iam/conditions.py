"""The Condition element: operators, ``...IfExists``, ``Null``, and the set operators.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html

Within a block every operator must hold, within an operator every key (AND); the values given
for one key are alternatives (OR), and a negated operator holds when the request's value matches
none of them. "If the key that you specify in a policy condition is not present in the request
context, the values do not match and the condition is false. If the policy condition requires
that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
present, the condition is true" (except ``...IfExists``, true when the key is absent, and
``Null``, which tests presence). Key names are case-insensitive; values are not unless the
operator says so.
"""

from __future__ import annotations

import base64
import ipaddress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from localcloud.iam.matching import arn_matches, like

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

Context = dict[str, list[str]]
"""Lower-cased condition key -> its values (a single-valued key has one)."""


class PolicyError(ValueError):
    """A policy AWS would refuse (MalformedPolicyDocument): an unknown operator, for example."""


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ip(request: str, policy: str) -> bool:
    return ipaddress.ip_address(request) in ipaddress.ip_network(policy, strict=False)


# operator -> (does the request value match this policy value?, is the operator negated?)
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "stringequals": (lambda r, p: r == p, False),
    "stringnotequals": (lambda r, p: r == p, True),
    "stringequalsignorecase": (lambda r, p: r.lower() == p.lower(), False),
    "stringnotequalsignorecase": (lambda r, p: r.lower() == p.lower(), True),
    "stringlike": (lambda r, p: like(p, r), False),
    "stringnotlike": (lambda r, p: like(p, r), True),
    "numericequals": (lambda r, p: _number(r) == _number(p), False),
    "numericnotequals": (lambda r, p: _number(r) == _number(p), True),
    "numericlessthan": (lambda r, p: _number(r) < _number(p), False),
    "numericlessthanequals": (lambda r, p: _number(r) <= _number(p), False),
    "numericgreaterthan": (lambda r, p: _number(r) > _number(p), False),
    "numericgreaterthanequals": (lambda r, p: _number(r) >= _number(p), False),
    "dateequals": (lambda r, p: _date(r) == _date(p), False),
    "datenotequals": (lambda r, p: _date(r) == _date(p), True),
    "datelessthan": (lambda r, p: _date(r) < _date(p), False),
    "datelessthanequals": (lambda r, p: _date(r) <= _date(p), False),
    "dategreaterthan": (lambda r, p: _date(r) > _date(p), False),
    "dategreaterthanequals": (lambda r, p: _date(r) >= _date(p), False),
    "bool": (lambda r, p: r.lower() == p.lower(), False),
    "binaryequals": (lambda r, p: base64.b64decode(r) == base64.b64decode(p), False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
    "arnequals": (lambda r, p: arn_matches(p, r), False),
    "arnlike": (lambda r, p: arn_matches(p, r), False),
    "arnnotequals": (lambda r, p: arn_matches(p, r), True),
    "arnnotlike": (lambda r, p: arn_matches(p, r), True),
}


def context_of(values: Mapping[str, str | bool | int | Sequence[str]]) -> Context:
    """A request context from plain values: keys lower-cased, every value a list of strings."""
    out: Context = {}
    for key, value in values.items():
        if isinstance(value, bool):
            out[key.lower()] = ["true" if value else "false"]
        elif isinstance(value, (str, int)):
            out[key.lower()] = [str(value)]
        else:
            out[key.lower()] = [str(v) for v in value]
    return out


def _policy_values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    return ["true" if v is True else "false" if v is False else str(v) for v in items]


def holds(block: Mapping[str, Mapping[str, Any]] | None, context: Context) -> bool:
    """Whether a statement's whole Condition block holds for the request context."""
    if not block:
        return True
    return all(
        _operator_holds(operator, key, _policy_values(values), context.get(key.lower()))
        for operator, keys in block.items()
        for key, values in keys.items()
    )


def _operator_holds(operator: str, key: str, policy: list[str], request: list[str] | None) -> bool:
    name = operator.lower()
    qualifier = ""
    for prefix in ("forallvalues:", "foranyvalue:"):
        if name.startswith(prefix):
            qualifier, name = prefix[:-1], name[len(prefix) :]
    if_exists = name.endswith("ifexists") and name != "ifexists"
    if if_exists:
        name = name[: -len("ifexists")]
    if name == "null":
        if qualifier or if_exists:
            raise PolicyError(f"{operator} is not a condition operator")
        absent = not request
        return any((v.lower() == "true") == absent for v in policy)
    if name not in _OPERATORS:
        raise PolicyError(f"{operator} is not a condition operator")
    match, negated = _OPERATORS[name]

    def one(value: str) -> bool:
        """A positive operator: some policy value matches; a negated one: none does."""
        try:
            found = any(match(value, p) for p in policy)
        except ValueError:  # a value that is no number, date or address matches nothing
            found = False
        return not found if negated else found

    if qualifier == "forallvalues":
        # True when every request value passes; an absent or empty key passes vacuously.
        return all(one(v) for v in request or [])
    if qualifier == "foranyvalue":
        return any(one(v) for v in request or [])
    if request is None:
        return if_exists or negated
    return any(one(v) for v in request)
