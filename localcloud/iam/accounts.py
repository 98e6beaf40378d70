"""Who is calling, and which policies apply: read from moto's IAM and STS, in this process.

The local provisioner creates the template's roles in moto's IAM (trust policy, inline and
managed policies); this reads them back, so there is one registry of identities. A caller is
known by its access key:

* the harness's own key (``testing``, see ``localcloud.moto.fake_aws_environment``) is the
  account's administrator, allowed everything: tests set up and inspect with it;
* a role session's key was minted by moto's STS when the Lambda service (for a function's
  execution role) or AppConfig (for a retrieval or monitor role) assumed the role, after the
  role's trust policy allowed that service principal (``assume_role_as_service``);
* any other key is unknown, and the service answers as AWS does for an unknown key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from localcloud.iam.audit import DENIALS
from localcloud.iam.conditions import context_of
from localcloud.iam.evaluation import Decision, Principal, Request, evaluate

if TYPE_CHECKING:
    from collections.abc import Mapping

ADMIN_ACCESS_KEY = "testing"
PARTITION = "aws"
LAMBDA = "lambda.amazonaws.com"
APPCONFIG = "appconfig.amazonaws.com"


class UnknownAccessKey(LookupError):
    """No such access key: AWS answers InvalidAccessKeyId / UnrecognizedClientException."""


class InvalidSessionToken(LookupError):
    """The key is a session's, but the request's session token is not that session's."""


class AssumeRoleDenied(PermissionError):
    def __init__(self, decision: Decision, request: Request) -> None:
        super().__init__(decision.message(request))
        self.decision = decision


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    principal: Principal

    def environment(self) -> dict[str, str]:
        """As Lambda gives a function its execution role's session."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }

    def client_arguments(self) -> dict[str, str]:
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }


def _document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = json.loads(unquote(text))  # IAM's API hands policy documents URL-encoded
    if not isinstance(loaded, dict):
        raise ValueError("a policy document must be a JSON object")
    return loaded


class Accounts:
    """One account's identities in moto (the local cloud has one account)."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region

    @property
    def admin(self) -> Principal:
        return Principal(f"arn:{PARTITION}:iam::{self.account}:root", "root", self.account)

    def _iam(self) -> Any:
        from moto.iam.models import iam_backends

        return iam_backends[self.account][PARTITION]

    def _sts(self) -> Any:
        from moto.sts.models import sts_backends

        return sts_backends[self.account][PARTITION]

    # ---------------------------------------------------------------- callers
    def caller(self, access_key_id: str, session_token: str | None) -> Principal:
        if access_key_id == ADMIN_ACCESS_KEY:
            return self.admin
        for session in self._sts().assumed_roles:
            if session.access_key_id == access_key_id:
                if session_token != session.session_token:
                    raise InvalidSessionToken(access_key_id)
                return self._session_principal(session.role_arn, session.session_name)
        raise UnknownAccessKey(access_key_id)

    def secret_of(self, access_key_id: str) -> tuple[str, str] | None:
        """The session's secret key and token, for checking a request's signature."""
        for session in self._sts().assumed_roles:
            if session.access_key_id == access_key_id:
                return str(session.secret_access_key), str(session.session_token)
        return None

    def _session_principal(self, role_arn: str, session_name: str) -> Principal:
        name = role_arn.rsplit("/", 1)[-1]
        return Principal(
            f"arn:{PARTITION}:sts::{self.account}:assumed-role/{name}/{session_name}",
            "role-session",
            self.account,
            role_arn,
        )

    # ---------------------------------------------------------------- policies
    def identity_policies(self, principal: Principal) -> list[dict[str, Any]]:
        """A role session's inline and attached managed policies (the role's, read now)."""
        if principal.kind != "role-session" or principal.role_arn is None:
            return []
        iam = self._iam()
        role = iam.get_role_by_arn(principal.role_arn)
        documents = [
            _document(iam.get_role_policy(role.name, n)[1]) for n in iam.list_role_policies(role.name)
        ]
        attached, _ = iam.list_attached_role_policies(role.name)
        for policy in attached:
            default = next(v for v in policy.versions if v.is_default)
            documents.append(_document(default.document))
        return documents

    def trust_policy(self, role_arn: str) -> dict[str, Any]:
        return _document(self._iam().get_role_by_arn(role_arn).assume_role_policy_document)

    # ---------------------------------------------------------------- services assuming roles
    def assume_role_as_service(
        self,
        role_arn: str,
        service: str,
        session_name: str,
        *,
        context: Mapping[str, str] | None = None,
        duration_seconds: int = 3600,
    ) -> Credentials:
        """``sts:AssumeRole`` by a service principal, allowed only by the role's trust policy.

        ``context``: the keys the service documents sending (for example ``aws:SourceAccount``);
        a trust-policy condition on a key the service does not send is not met."""
        principal = Principal(service, "service")
        request = Request(
            principal,
            "sts:AssumeRole",
            (role_arn,),
            context_of({"aws:PrincipalServiceName": service, **(context or {})}),
        )
        try:
            trust = self.trust_policy(role_arn)
        except Exception as error:  # moto's NoSuchEntity: no such role
            denied = Decision(False, resource=role_arn, policy_kind="resource-based")
            DENIALS.record(denied.message(request))
            raise AssumeRoleDenied(denied, request) from error
        decision = evaluate(request, (), trust, resource_policy_kind="resource-based")
        if not decision.allowed:
            DENIALS.record(decision.message(request))
            raise AssumeRoleDenied(decision, request)
        session = self._sts().assume_role(
            region_name=self.region,
            role_session_name=session_name,
            role_arn=role_arn,
            policy=None,
            duration=duration_seconds,
            external_id=None,
        )
        return Credentials(
            str(session.access_key_id),
            str(session.secret_access_key),
            str(session.session_token),
            self._session_principal(role_arn, session_name),
        )
