"""Errors the service answers with, in the shapes the botocore models define.

Each carries the modelled error code (sent as ``x-amzn-ErrorType`` so botocore raises
``client.exceptions.<Code>``), the HTTP status from the model, and the extra members of the
error shape (``Reason``, ``Details``, ``ResourceName`` ...) that botocore copies onto
``error.response``.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    def __init__(self, code: str, status: int, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.fields = fields

    def body(self) -> dict[str, Any]:
        return {"Message": self.message, **{k: v for k, v in self.fields.items() if v is not None}}


def bad_request(
    message: str, reason: str | None = None, details: dict[str, Any] | None = None
) -> ServiceError:
    return ServiceError("BadRequestException", 400, message, Reason=reason, Details=details)


def invalid_configuration(message: str, problems: list[dict[str, str]]) -> ServiceError:
    """A validator refused the content: ``Reason`` and ``Details.InvalidConfiguration`` as modelled."""
    return bad_request(message, "InvalidConfiguration", {"InvalidConfiguration": problems})


def invalid_parameter(message: str, parameter: str, problem: str) -> ServiceError:
    """AppConfigData's BadRequest: ``Details.InvalidParameters.<param>.Problem``."""
    return bad_request(message, "InvalidParameters", {"InvalidParameters": {parameter: {"Problem": problem}}})


def not_found(message: str, resource_name: str | None = None) -> ServiceError:
    return ServiceError("ResourceNotFoundException", 404, message, ResourceName=resource_name)


def data_not_found(
    message: str, resource_type: str, referenced_by: dict[str, str] | None = None
) -> ServiceError:
    """AppConfigData's ResourceNotFound carries ``ResourceType`` and ``ReferencedBy`` instead."""
    return ServiceError(
        "ResourceNotFoundException", 404, message, ResourceType=resource_type, ReferencedBy=referenced_by
    )


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", 409, message)


def quota_exceeded(message: str) -> ServiceError:
    return ServiceError("ServiceQuotaExceededException", 402, message)


def payload_too_large(message: str, limit_bytes: int, size_bytes: int) -> ServiceError:
    """413 with the modelled ``Measure``/``Limit``/``Size``; ``Measure``'s one modelled value is KILOBYTES."""
    return ServiceError(
        "PayloadTooLargeException",
        413,
        message,
        Measure="KILOBYTES",
        Limit=limit_bytes / 1024,
        Size=round(size_bytes / 1024, 3),
    )


def internal(message: str = "Internal server error") -> ServiceError:
    return ServiceError("InternalServerException", 500, message)


def throttled(message: str = "Rate exceeded") -> ServiceError:
    return ServiceError("ThrottlingException", 429, message)


def not_implemented(operation: str) -> ServiceError:
    return ServiceError(
        "NotImplemented", 501, f"{operation} is not implemented by the local AppConfig service"
    )
