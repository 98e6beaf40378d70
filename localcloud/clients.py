"""boto3 clients bound to the local cloud's endpoints, typed per service by boto3-stubs.

``Clients(moto=..., appconfig=...)("s3")`` is an ``S3Client`` to mypy, so a test that misspells
an operation or a parameter fails type checking, not at run time. AppConfig and AppConfigData go
to the local AppConfig service; every other service to moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_appconfigdata import AppConfigDataClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sts import STSClient

REGION = "us-east-1"


def endpoint_for(service: str, *, moto: str, appconfig: str) -> str:
    return appconfig if service in ("appconfig", "appconfigdata") else moto


class Clients:
    """A client factory: ``clients(service, **boto3_client_kwargs)``."""

    def __init__(self, *, moto: str, appconfig: str, region: str = REGION) -> None:
        self.moto = moto
        self.appconfig = appconfig
        self.region = region

    @overload
    def __call__(self, service: Literal["appconfig"], **kwargs: Any) -> AppConfigClient: ...
    @overload
    def __call__(self, service: Literal["appconfigdata"], **kwargs: Any) -> AppConfigDataClient: ...
    @overload
    def __call__(self, service: Literal["s3"], **kwargs: Any) -> S3Client: ...
    @overload
    def __call__(self, service: Literal["cloudwatch"], **kwargs: Any) -> CloudWatchClient: ...
    @overload
    def __call__(self, service: Literal["sqs"], **kwargs: Any) -> SQSClient: ...
    @overload
    def __call__(self, service: Literal["sts"], **kwargs: Any) -> STSClient: ...
    @overload
    def __call__(self, service: Literal["lambda"], **kwargs: Any) -> LambdaClient: ...
    @overload
    def __call__(self, service: Literal["events"], **kwargs: Any) -> EventBridgeClient: ...
    @overload
    def __call__(self, service: Literal["iam"], **kwargs: Any) -> IAMClient: ...
    @overload
    def __call__(self, service: str, **kwargs: Any) -> Any: ...  # a service chosen at run time
    def __call__(self, service: str, **kwargs: Any) -> Any:
        import boto3

        kwargs.setdefault("region_name", self.region)
        kwargs.setdefault("endpoint_url", endpoint_for(service, moto=self.moto, appconfig=self.appconfig))
        return boto3.client(service, **kwargs)  # type: ignore[call-overload]
