"""IAM enforcement inside moto: every S3 request, and every request of the other services moto
dispatches through its authorization hook, is authorised with ``localcloud.iam.evaluation``.

moto calls ``ActionAuthenticatorMixin._authenticate_and_authorize_s3_action`` (with the bucket
and key) and ``_authenticate_and_authorize_normal_action`` before it runs an operation. Its own
implementation (switched on by ``INITIAL_NO_AUTH_ACTION_COUNT``) authorises every non-S3 request
against the resource ``*``, treats a failed Condition of an Allow statement as a Deny, and knows
neither NotResource, ``?`` wildcards nor required resource types; this replaces both hooks, so
moto's own stays off. What is added besides the evaluation, as S3 documents it:

* GetObject/HeadObject with a ``versionId`` need ``s3:GetObjectVersion``
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions");
* a missing key (or version) is answered 404 only when the caller also has ``s3:ListBucket`` on
  the bucket, and 403 AccessDenied otherwise (HeadObject's and GetObject's "Permissions");
* CopyObject needs read access to the source object besides ``s3:PutObject`` on the target;
* the bucket policy is the resource-based policy of every request on the bucket and its objects.
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import ServiceException
from moto.s3.exceptions import S3ClientError

from localcloud.iam import sar
from localcloud.iam.accounts import PARTITION, Accounts, InvalidSessionToken, UnknownAccessKey
from localcloud.iam.audit import DENIALS
from localcloud.iam.conditions import context_of
from localcloud.iam.evaluation import Principal, Request, evaluate
from localcloud.iam.requests import signed_by, signed_by_form

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.iam.evaluation import Decision

# moto's S3 action names that are not IAM's.
_S3_ACTIONS = {"HeadBucket": "ListBucket", "ListBucketMultipartUploads": "ListBucketMultipartUploads"}
# Signing names whose IAM prefix differs (botocore signs CloudWatch as "monitoring").
_IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
# Each service's AccessDenied code: query-protocol services answer "AccessDenied".
_DENIED_CODE = {"cloudwatch": "AccessDenied", "sts": "AccessDenied", "iam": "AccessDenied"}
# Request parameters that hold an ARN variable under another name.
_PARAMETER_NAMES = {"AlarmName": ("AlarmNames", "AlarmName"), "RoleNameWithPath": ("RoleName",)}


class _S3Error(S3ClientError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


class _ServiceDenied(ServiceException):
    """Defined outside moto's packages, so moto serialises it with the request's service model."""


class _Denied(Exception):
    def __init__(self, message: str, code: str = "AccessDenied") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class MotoEnforcement:
    """Installed into moto (running in this process); ``accounts`` says who is who."""

    _lock = threading.Lock()
    _installed: MotoEnforcement | None = None

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self._saved: tuple[Any, Any] | None = None
        self.denials: list[str] = []
        """Every AccessDenied message given, oldest first (for tests and diagnostics)."""

    @classmethod
    def enforce(cls, accounts: Accounts) -> MotoEnforcement:
        """The process's enforcement (moto's backends are per process): installed once, kept."""
        with cls._lock:
            installed = cls._installed
        return installed if installed is not None else cls(accounts).install()

    def install(self) -> MotoEnforcement:
        with MotoEnforcement._lock:
            if MotoEnforcement._installed is not None:
                raise RuntimeError("IAM enforcement is already installed into moto in this process")
            mixin = ActionAuthenticatorMixin
            self._saved = (
                mixin._authenticate_and_authorize_s3_action,
                mixin._authenticate_and_authorize_normal_action,
            )
            enforcement = self

            def s3_hook(response: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
                enforcement._authorize_s3(response, bucket_name, key_name)

            def normal_hook(response: Any, resource: str = "*") -> None:
                enforcement._authorize_normal(response)

            mixin._authenticate_and_authorize_s3_action = s3_hook  # type: ignore[assignment,method-assign]
            mixin._authenticate_and_authorize_normal_action = normal_hook  # type: ignore[assignment,method-assign]
            MotoEnforcement._installed = self
        return self

    def uninstall(self) -> None:
        with MotoEnforcement._lock:
            if self._saved is not None and MotoEnforcement._installed is self:
                mixin = ActionAuthenticatorMixin
                s3_hook, normal_hook = self._saved
                mixin._authenticate_and_authorize_s3_action = s3_hook  # type: ignore[method-assign]
                mixin._authenticate_and_authorize_normal_action = normal_hook  # type: ignore[method-assign]
                MotoEnforcement._installed = None
            self._saved = None

    # ---------------------------------------------------------------- who
    def _principal(self, response: Any, unknown: Callable[[str], Exception]) -> tuple[Principal, str]:
        """The caller and the Region it signed for; an unknown key raises ``unknown(reason)``."""
        query = urlsplit(response.uri).query
        signed = signed_by(dict(response.headers), query)
        if signed is None and response.method == "POST":
            signed = signed_by_form(getattr(response, "form_data", None) or {})
        if signed is None:
            return Principal("anonymous", "anonymous"), self.accounts.region
        try:
            principal = self.accounts.caller(signed.access_key_id, signed.session_token)
        except UnknownAccessKey:
            raise unknown("InvalidAccessKeyId") from None
        except InvalidSessionToken:
            raise unknown("InvalidToken") from None
        if principal.kind == "role-session":
            self._check_signature(response)
        return principal, signed.region or self.accounts.region

    @staticmethod
    def _check_signature(response: Any) -> None:
        """moto's own SigV4 check, for keys moto minted (the harness's key is not one of them)."""
        from moto.iam.access_control import IAMRequest, S3IAMRequest

        parts = urlsplit(response.uri)
        path = response.raw_path + (f"?{parts.query}" if parts.query else "")
        if "Authorization" not in response.headers:
            return  # presigned: moto checks the query signature on its own path
        cls = S3IAMRequest if response.service_name == "s3" else IAMRequest
        cls(
            account_id=response.current_account,
            method=response.method,
            path=path,
            data=response.data,
            body=response.raw_body,
            headers=response.headers,
            action=response._get_action()
            if response.service_name != "s3"
            else response.data.get("Action", ""),
        ).check_signature()

    def _decide(
        self, request: Request, resource_policy: dict[str, Any] | None, denied: Callable[[str], Exception]
    ) -> None:
        decision: Decision = evaluate(
            request, self.accounts.identity_policies(request.principal), resource_policy
        )
        if not decision.allowed:
            message = decision.message(request)
            self.denials.append(message)
            DENIALS.record(message)
            raise denied(message)

    # ---------------------------------------------------------------- S3
    def _authorize_s3(self, response: Any, bucket: str | None, key: str | None) -> None:
        def unknown(reason: str) -> Exception:
            if reason == "InvalidToken":
                return _S3Error("InvalidToken", "The provided token is malformed or otherwise invalid.")
            return _S3Error(
                "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
            )

        principal, region = self._principal(response, unknown)
        parts = urlsplit(response.uri)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        moto_action = str(response.data.get("Action") or "ListAllMyBuckets")
        action = "s3:" + _S3_ACTIONS.get(moto_action, moto_action)
        if action == "s3:GetObject" and "versionId" in query:
            action = "s3:GetObjectVersion"
        context = self._s3_context(principal, query)
        policy = self._bucket_policy(response, bucket)

        def denied(message: str) -> Exception:
            return _S3Error("AccessDenied", message)

        def authorize(one_action: str, one_bucket: str | None, one_key: str | None) -> None:
            variables = {k: v for k, v in (("BucketName", one_bucket), ("ObjectName", one_key)) if v}
            resources = sar.resources_for(one_action, variables, partition=PARTITION, region="", account="")
            request = Request(principal, sar.canonical(one_action), resources, context)
            self._decide(
                request, policy if one_bucket == bucket else self._bucket_policy(response, one_bucket), denied
            )

        authorize(action, bucket, key)
        source = response.headers.get("x-amz-copy-source")
        if source and action == "s3:PutObject":
            source_path, _, source_query = unquote(source).lstrip("/").partition("?")
            source_bucket, _, source_key = source_path.partition("/")
            read = "s3:GetObjectVersion" if "versionId=" in source_query else "s3:GetObject"
            authorize(read, source_bucket, source_key)
        reads = action in ("s3:GetObject", "s3:GetObjectVersion")
        if reads and bucket and key and not self._exists(response, bucket, key, query.get("versionId")):
            # 404 only for a caller who could have listed the bucket, 403 for everyone else.
            authorize("s3:ListBucket", bucket, None)
        del region

    @staticmethod
    def _s3_context(principal: Principal, query: dict[str, str]) -> dict[str, list[str]]:
        values: dict[str, Any] = {"aws:SecureTransport": False}  # the local cloud speaks plain HTTP
        if principal.kind != "anonymous":
            values["aws:PrincipalArn"] = principal.role_arn or principal.arn
            values["aws:PrincipalAccount"] = principal.account
        for name, key in (("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys"),
                          ("versionId", "s3:VersionId")):  # fmt: skip
            if name in query:
                values[key] = query[name]
        return context_of(values)

    @staticmethod
    def _bucket_policy(response: Any, bucket: str | None) -> dict[str, Any] | None:
        import json

        if not bucket:
            return None
        try:
            found = response.backend.get_bucket(bucket)
        except Exception:  # no such bucket: moto answers NoSuchBucket after this hook
            return None
        policy = getattr(found, "policy", None)
        return json.loads(policy) if policy else None

    @staticmethod
    def _exists(response: Any, bucket: str, key: str, version: str | None) -> bool:
        try:
            return response.backend.get_object(bucket, key, version_id=version) is not None
        except Exception:  # no such bucket, or a version ID of the wrong form
            return False

    # ---------------------------------------------------------------- every other service
    def _authorize_normal(self, response: Any) -> None:
        code = _DENIED_CODE.get(self._prefix(response), "AccessDeniedException")

        def unknown(reason: str) -> Exception:
            if reason == "InvalidToken":
                return _Denied(
                    "The security token included in the request is invalid.", "InvalidClientTokenId"
                )
            return _Denied("The security token included in the request is invalid.", "InvalidClientTokenId")

        try:
            principal, region = self._principal(response, unknown)
            if principal.kind == "root":
                return
            action = f"{self._prefix(response)}:{response._get_action()}"
            try:
                resources = sar.resources_for(
                    action,
                    self._variables(response, action),
                    partition=PARTITION,
                    region=region,
                    account=self.accounts.account,
                )
            except sar.UnmodelledRequest as error:
                raise _Denied(f"the local cloud cannot authorise this request: {error}", code) from error
            request = Request(principal, sar.canonical(action), resources, context_of({
                "aws:SecureTransport": False, "aws:PrincipalArn": principal.role_arn or principal.arn,
                "aws:PrincipalAccount": principal.account, "aws:RequestedRegion": region,
            }))  # fmt: skip
            self._decide(request, None, lambda message: _Denied(message, code))
        except _Denied as denial:
            self._answer(response, denial)

    @staticmethod
    def _prefix(response: Any) -> str:
        signed = signed_by(dict(response.headers), urlsplit(response.uri).query)
        name = signed.service if signed else str(response.service_name)
        return _IAM_PREFIX.get(name, name)

    @staticmethod
    def _variables(response: Any, action: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for resource in sar.resource_types(action):
            for variable in resource.variables:
                for name in _PARAMETER_NAMES.get(variable, (variable,)):
                    value = response._get_param(name)
                    if value:
                        found[variable] = value
                        break
        return found

    @staticmethod
    def _answer(response: Any, denial: _Denied) -> None:
        """Raise the denial in the request's own protocol (query XML, JSON or CBOR), as moto
        serialises any service error."""
        from moto.core.responses import ActionResult
        from werkzeug.exceptions import HTTPException

        with (
            warnings.catch_warnings()
        ):  # moto warns that the code is not in the model: it is AWS's common error
            warnings.simplefilter("ignore")
            status, headers, body = response.serialized(
                ActionResult(_ServiceDenied(denial.code, denial.message))
            )
        response.response_headers.update({k: v for k, v in headers.items() if k.lower() != "status"})
        error = HTTPException(description=body)
        error.code = 403 if denial.code.startswith("Access") else int(headers.get("status", status) or 403)
        raise error
