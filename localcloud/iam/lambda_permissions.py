"""Functions' resource-based policies: who may invoke them (``AWS::Lambda::Permission``).

Lambda keeps one policy per function; AddPermission adds a statement allowing ``Principal`` the
``Action`` on the function, with ``SourceAccount``/``SourceArn`` as ``AWS:SourceAccount`` /
``AWS:SourceArn`` conditions (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html).
A service invokes a function only if that policy allows it, with the request context the service
sends: AppConfig documents sending none of the confused-deputy keys for validator invocations
(https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-validators.html).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from localcloud.iam.audit import DENIALS
from localcloud.iam.conditions import context_of
from localcloud.iam.evaluation import Principal, Request, evaluate

if TYPE_CHECKING:
    from collections.abc import Mapping


class InvokeDenied(PermissionError):
    """Lambda's AccessDeniedException for an invocation its resource-based policy does not allow."""


class FunctionPolicies:
    def __init__(self) -> None:
        self._policies: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def add_permission(
        self,
        function_arn: str,
        statement_id: str,
        *,
        principal: str,
        action: str = "lambda:InvokeFunction",
        source_account: str | None = None,
        source_arn: str | None = None,
    ) -> None:
        condition: dict[str, dict[str, str]] = {}
        if source_account:
            condition["StringEquals"] = {"AWS:SourceAccount": source_account}
        if source_arn:
            condition["ArnLike"] = {"AWS:SourceArn": source_arn}
        who: Any = {"Service": principal} if principal.endswith(".amazonaws.com") else {"AWS": principal}
        statement: dict[str, Any] = {
            "Sid": statement_id,
            "Effect": "Allow",
            "Principal": who,
            "Action": action,
            "Resource": function_arn,
        }
        if condition:
            statement["Condition"] = condition
        with self._lock:
            policy = self._policies.setdefault(function_arn, {"Version": "2012-10-17", "Statement": []})
            policy["Statement"].append(statement)

    def replace(self, other: FunctionPolicies) -> None:
        """Take another registry's policies (the provisioner's, once the stack exists)."""
        with other._lock:
            copied = {arn: {**p, "Statement": list(p["Statement"])} for arn, p in other._policies.items()}
        with self._lock:
            self._policies = copied

    def policy(self, function_arn: str) -> dict[str, Any] | None:
        with self._lock:
            return self._policies.get(function_arn)

    def authorize_service(
        self, function_arn: str, service: str, context: Mapping[str, str] | None = None
    ) -> None:
        """Raise InvokeDenied unless ``service`` may invoke the function."""
        request = Request(
            Principal(service, "service"),
            "lambda:InvokeFunction",
            (function_arn,),
            context_of(dict(context or {})),
        )
        decision = evaluate(request, (), self.policy(function_arn))
        if not decision.allowed:
            DENIALS.record(decision.message(request))
            raise InvokeDenied(decision.message(request))


class PermittedInvoker:
    """The local Lambda runner as a service sees it: an invocation first passes the function's policy."""

    def __init__(self, functions: Any, policies: FunctionPolicies, *, service: str, arn_of: Any) -> None:
        self._functions = functions
        self._policies = policies
        self._service = service
        self._arn_of = arn_of
        """Function name or ARN -> the function's ARN (as the stack created it)."""

    def invoke(self, name: str, event: Any, *, time_limit: float | None = None) -> Any:
        self._policies.authorize_service(self._arn_of(name), self._service)
        return self._functions.invoke(name, event, time_limit=time_limit)

    def close(self) -> None:
        self._functions.close()
