"""IAM in the local AppConfig service: who may call it, and what AppConfig itself may do.

Every AppConfig and AppConfigData request is authorised against the caller's policies before
the operation runs, on the ARNs the Service Authorization Reference gives the action (built
from the request's IDs; AppConfigData's names are resolved to IDs first, its poll token to the
session's configuration). A denial is ``AccessDeniedException`` (HTTP 403), AWS's common error
for JSON services (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/CommonErrors.html);
an unknown key is ``UnrecognizedClientException``.

AppConfig's own calls go out with the role the customer gave it: the S3 read of a configuration
version with the profile's ``RetrievalRoleArn``, each monitor's DescribeAlarms with its
``AlarmRoleArn``. AppConfig assumes the role as ``appconfig.amazonaws.com``, which the role's
trust policy must allow. AppConfig documents no confused-deputy condition key for these roles:
its pages show the trust policy with the principal only
(https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-iam-role.html,
https://docs.aws.amazon.com/appconfig/latest/userguide/getting-started-with-appconfig-cloudwatch-alarms-permissions.html),
so the assumption carries no ``aws:SourceAccount`` or ``aws:SourceArn``, and a trust policy that
requires them is not met.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from localcloud.appconfig.errors import ServiceError
from localcloud.iam import sar
from localcloud.iam.accounts import APPCONFIG, PARTITION, Credentials, InvalidSessionToken, UnknownAccessKey
from localcloud.iam.audit import DENIALS
from localcloud.iam.conditions import context_of
from localcloud.iam.evaluation import Request, evaluate
from localcloud.iam.requests import signature_matches, signed_by

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from localcloud.appconfig.dataplane import DataPlane
    from localcloud.iam.accounts import Accounts

_INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - a message
_PARAMETERS = {
    "ApplicationId": "ApplicationId",
    "EnvironmentId": "EnvironmentId",
    "ConfigurationProfileId": "ConfigurationProfileId",
    "DeploymentStrategyId": "DeploymentStrategyId",
    "DeploymentNumber": "DeploymentNumber",
    "ExtensionIdentifier": "ExtensionId",
    "ExtensionAssociationId": "ExtensionAssociationId",
}


class AppConfigIam:
    def __init__(self, accounts: Accounts, *, data: Callable[[str], DataPlane] | None = None) -> None:
        """``data(region)``: that Region's data plane, which resolves AppConfigData's names and tokens."""
        self.accounts = accounts
        self._data = data
        self.denials: list[str] = []
        self._sessions: dict[str, Credentials] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- callers of AppConfig
    def authorize(
        self,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        *,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> None:
        """Raise the service's error unless the caller may make this request (``url``: path and query)."""
        query = urlsplit(url).query
        signed = signed_by(headers, query)
        if signed is None:
            raise ServiceError("MissingAuthenticationTokenException", 403, "Missing Authentication Token")
        try:
            principal = self.accounts.caller(signed.access_key_id, signed.session_token)
        except (UnknownAccessKey, InvalidSessionToken):
            raise ServiceError("UnrecognizedClientException", 403, _INVALID_TOKEN) from None
        if principal.kind == "root":
            return
        secret = self.accounts.secret_of(signed.access_key_id)
        if secret is None or not signature_matches(
            method=method, path=url, headers=headers, body=body, secret_key=secret[0],
            access_key_id=signed.access_key_id, session_token=secret[1], region=signed.region,
            service=signed.service,
        ):  # fmt: skip
            raise ServiceError(
                "InvalidSignatureException",
                403,
                "The request signature we calculated does not match the signature you provided.",
            )
        action = f"appconfig:{operation}"
        try:
            resources = sar.resources_for(
                action,
                self._variables(service, operation, params, signed.region),
                partition=PARTITION,
                region=signed.region,
                account=self.accounts.account,
            )
        except sar.UnmodelledRequest as error:
            raise ServiceError(
                "AccessDeniedException", 403, f"the local cloud cannot authorise this request: {error}"
            ) from error
        request = Request(
            principal,
            sar.canonical(action),
            resources,
            context_of({
                "aws:SecureTransport": False, "aws:PrincipalArn": principal.role_arn or principal.arn,
                "aws:PrincipalAccount": principal.account, "aws:RequestedRegion": signed.region,
            }),
        )  # fmt: skip
        decision = evaluate(request, self.accounts.identity_policies(principal))
        if not decision.allowed:
            message = decision.message(request)
            self.denials.append(message)
            DENIALS.record(message)
            raise ServiceError("AccessDeniedException", 403, message)

    def _variables(
        self, service: str, operation: str, params: Mapping[str, Any], region: str
    ) -> dict[str, str]:
        found = {
            arn_name: str(params[name])
            for name, arn_name in _PARAMETERS.items()
            if params.get(name) is not None
        }
        if service != "appconfigdata" or self._data is None:
            return found
        data = self._data(region)
        if operation == "StartConfigurationSession":
            refs = (
                params["ApplicationIdentifier"],
                params["EnvironmentIdentifier"],
                params["ConfigurationProfileIdentifier"],
            )
            try:
                ids = data.resolve(*refs)
            except ServiceError:
                ids = refs  # authorised on what was asked for; the operation then answers NotFound
        else:
            session = data.session_of(str(params.get("ConfigurationToken", "")))
            if session is None:
                return found  # an unknown token: the operation answers BadRequest (Corrupted)
            ids = session
        found.update(zip(("ApplicationId", "EnvironmentId", "ConfigurationProfileId"), ids, strict=True))
        return found

    # ---------------------------------------------------------------- AppConfig's own calls
    def credentials(self, role_arn: str) -> Credentials:
        """A session of the customer's role, assumed as AppConfig (raises AssumeRoleDenied)."""
        with self._lock:
            held = self._sessions.get(role_arn)
            if held is not None and self.accounts.secret_of(held.access_key_id) is not None:
                return held
        credentials = self.accounts.assume_role_as_service(role_arn, APPCONFIG, "AppConfig")
        with self._lock:
            self._sessions[role_arn] = credentials
        return credentials
