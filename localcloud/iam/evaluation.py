"""IAM's policy evaluation for requests within one account.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html

* By default every request is implicitly denied, except the account's root user's.
* An explicit deny in any applicable policy (identity-based or resource-based) overrides any allow.
* Otherwise, within one account, an allow in either the identity-based policies or the
  resource-based policy is enough: "If either the identity-based policy or the resource-based
  policy within the same account allows the request and the other doesn't, the request is
  still allowed."
* An action that takes several resources (StartDeployment: the application, environment,
  configuration profile and strategy) is allowed only if it is allowed on every one of them.

Not modelled (README, "what the local cloud enforces"): SCPs and RCPs, permissions boundaries,
session policies, and cross-account requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from localcloud.iam.conditions import Context, PolicyError, holds
from localcloud.iam.matching import action_matches, arn_matches

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

Kind = Literal["root", "role-session", "service", "anonymous"]


@dataclass(frozen=True)
class Principal:
    arn: str
    """The ARN AWS names in an AccessDenied message (an assumed-role session's, for a role)."""
    kind: Kind
    account: str = ""
    role_arn: str | None = None
    """For a role session: the role's own ARN (``arn:aws:iam::ACCOUNT:role/NAME``)."""

    @property
    def service(self) -> str | None:
        return self.arn if self.kind == "service" else None


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resources: tuple[str, ...]
    context: Context = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit: bool = False
    """Denied by a Deny statement (rather than by no Allow)."""
    resource: str = ""
    """The resource that decided a denial."""
    policy_kind: str = "identity-based"

    def message(self, request: Request) -> str:
        """AccessDenied's message, worded as AWS words it."""
        where = f'on resource: "{self.resource}" ' if self.resource and self.resource != "*" else ""
        head = f"User: {request.principal.arn} is not authorized to perform: {request.action} {where}"
        if self.explicit:
            article = "an" if self.policy_kind[0] in "aeiou" else "a"
            return f"{head}with an explicit deny in {article} {self.policy_kind} policy"
        return f"{head}because no {self.policy_kind} policy allows the {request.action} action"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = policy.get("Statement", [])
    result = _as_list(found)
    for statement in result:
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f"a statement's Effect must be Allow or Deny, not {statement.get('Effect')!r}")
        if ("Action" in statement) == ("NotAction" in statement):
            raise PolicyError("a statement needs exactly one of Action and NotAction")
    return result


def _action_applies(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(action_matches(p, action) for p in _as_list(statement["Action"]))
    return not any(action_matches(p, action) for p in _as_list(statement["NotAction"]))


def _resource_applies(statement: Mapping[str, Any], resource: str) -> bool:
    if "Resource" in statement:
        return any(arn_matches(p, resource) for p in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(arn_matches(p, resource) for p in _as_list(statement["NotResource"]))
    return True  # a trust policy: the role itself is the resource


def principal_matches(spec: Any, principal: Principal) -> bool:
    """A resource-based policy's Principal entry names this caller directly.

    ``"*"`` names everyone; a service principal names that service; an assumed-role session is
    named by its session ARN or its role's ARN. An account principal (``ACCOUNT`` or
    ``arn:aws:iam::ACCOUNT:root``) delegates to the account's identity-based policies and grants
    nothing by itself, so it does not count here as an Allow (a Deny on it applies to everyone
    in the account, see ``_denied_by``)."""
    if spec == "*":
        return True
    if not isinstance(spec, dict):
        return False
    if principal.kind == "service":
        return principal.arn in _as_list(spec.get("Service", []))
    names = _as_list(spec.get("AWS", []))
    if "*" in names:
        return True
    if principal.kind == "role-session":
        return principal.arn in names or principal.role_arn in names
    return False


def _names_account(spec: Any, principal: Principal) -> bool:
    if not isinstance(spec, dict) or not principal.account:
        return False
    names = _as_list(spec.get("AWS", []))
    return principal.account in names or f"arn:aws:iam::{principal.account}:root" in names


def _statement_applies(
    statement: Mapping[str, Any], request: Request, resource: str, *, resource_policy: bool
) -> bool:
    if not _action_applies(statement, request.action) or not _resource_applies(statement, resource):
        return False
    if resource_policy:
        if "NotPrincipal" in statement:
            named = principal_matches(statement["NotPrincipal"], request.principal)
            if named or _names_account(statement["NotPrincipal"], request.principal):
                return False
        else:
            spec = statement.get("Principal")
            named = principal_matches(spec, request.principal)
            account = statement["Effect"] == "Deny" and _names_account(spec, request.principal)
            if not (named or account):
                return False
    return holds(statement.get("Condition"), request.context)


def _matching(
    policies: Iterable[Mapping[str, Any]],
    request: Request,
    resource: str,
    effect: str,
    *,
    resource_policy: bool,
) -> bool:
    return any(
        s["Effect"] == effect and _statement_applies(s, request, resource, resource_policy=resource_policy)
        for policy in policies
        for s in statements(policy)
    )


def evaluate(
    request: Request,
    identity_policies: Sequence[Mapping[str, Any]] = (),
    resource_policy: Mapping[str, Any] | None = None,
    *,
    resource_policy_kind: str = "resource-based",
) -> Decision:
    """Allow or deny ``request`` against the caller's identity-based policies and the resource's policy."""
    resource_policies = [resource_policy] if resource_policy else []
    for resource in request.resources or ("*",):
        if _matching(identity_policies, request, resource, "Deny", resource_policy=False):
            return Decision(False, explicit=True, resource=resource)
        if _matching(resource_policies, request, resource, "Deny", resource_policy=True):
            return Decision(False, explicit=True, resource=resource, policy_kind=resource_policy_kind)
    if request.principal.kind == "root":
        return Decision(True)
    for resource in request.resources or ("*",):
        allowed = _matching(identity_policies, request, resource, "Allow", resource_policy=False) or (
            _matching(resource_policies, request, resource, "Allow", resource_policy=True)
        )
        if not allowed:
            kind = (
                resource_policy_kind
                if request.principal.kind in ("service", "anonymous")
                else "identity-based"
            )
            return Decision(False, resource=resource, policy_kind=kind)
    return Decision(True)
