"""A configuration profile's validators, run on StartDeployment and ValidateConfiguration.

https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-validators.html

* ``JSON_SCHEMA``: JSON Schema draft-04 applied to the content parsed as JSON.
* ``LAMBDA``: the function named by the ARN is invoked synchronously with the documented event
  (``applicationId``, ``configurationProfileId``, ``configurationVersion``, base64 ``content``,
  ``uri``); an error (Lambda's ``X-Amz-Function-Error``) refuses the content, the return value
  is ignored, and the run time is limited to 15 seconds including start-up.

A refusal is a ``BadRequestException`` with ``Reason: InvalidConfiguration`` and one
``Details.InvalidConfiguration`` entry per problem.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Protocol

import jsonschema

from localcloud.appconfig.errors import ServiceError, bad_request, invalid_configuration

LAMBDA_TIME_LIMIT = 15.0


class Invoker(Protocol):
    """What a LAMBDA validator needs of the local Lambda runner (``localcloud.lambda_runtime.functions``)."""

    def invoke(self, name: str, event: Any, *, time_limit: float | None = None) -> Any: ...


def check_schema(content: str) -> None:
    """A JSON_SCHEMA validator's own content must be a valid draft-04 schema."""
    try:
        schema = json.loads(content)
        jsonschema.Draft4Validator.check_schema(schema)
    except (ValueError, jsonschema.SchemaError) as error:
        raise bad_request(
            f"The JSON Schema validator is not a valid JSON Schema (draft-04): {error}"
        ) from error


def run_validators(
    validators: list[dict[str, Any]],
    data: bytes,
    *,
    event: dict[str, str],
    invoker: Invoker | None,
) -> None:
    """Raise the refusal of the first validator that rejects ``data``; return when all accept."""
    for validator in validators:
        if validator["Type"] == "JSON_SCHEMA":
            _json_schema(validator["Content"], data)
        else:
            _lambda(validator["Content"], data, event, invoker)


def _json_schema(schema_text: str, data: bytes) -> None:
    schema = json.loads(schema_text)
    try:
        document = json.loads(data)
    except ValueError as error:
        raise invalid_configuration(
            "The configuration is not valid JSON, so the JSON Schema validator cannot check it",
            [{"Type": "JSON_SCHEMA", "Reason": str(error)}],
        ) from error
    problems = schema_problems(jsonschema.Draft4Validator(schema), document)
    if problems:
        raise invalid_configuration("The configuration failed JSON Schema validation", problems)


def schema_problems(validator: jsonschema.protocols.Validator, document: Any) -> list[dict[str, str]]:
    """One ``InvalidConfigurationDetail`` per JSON Schema error, in document order."""
    return [
        {
            "Constraint": str(error.validator),
            "Location": "$"
            + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path),
            "Reason": error.message,
            "Type": "JSON_SCHEMA",
        }
        for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.path])
    ]


def _lambda(arn: str, data: bytes, event: dict[str, str], invoker: Invoker | None) -> None:
    if invoker is None:
        raise invalid_configuration(
            f"Lambda validator {arn} cannot be invoked: no functions are known to the local service",
            [{"Type": "LAMBDA", "Location": arn, "Reason": "function not found"}],
        )
    payload = {**event, "content": base64.b64encode(data).decode()}
    try:
        result = invoker.invoke(arn, payload, time_limit=LAMBDA_TIME_LIMIT)
    except KeyError as error:
        raise invalid_configuration(
            f"Lambda validator {arn} cannot be invoked: the function does not exist",
            [{"Type": "LAMBDA", "Location": arn, "Reason": f"Function not found: {error}"}],
        ) from error
    except PermissionError as error:  # the function's resource-based policy does not allow AppConfig
        raise bad_request(f"Lambda validator {arn} cannot be invoked by AppConfig: {error}") from error
    if result.error is not None:
        message = str(result.error.get("errorMessage", ""))
        raise invalid_configuration(
            f"Lambda validator {arn} refused the configuration: {message}",
            [
                {
                    "Type": "LAMBDA",
                    "Location": arn,
                    "Reason": message,
                    "Value": str(result.error.get("errorType", "")),
                }
            ],
        )


__all__ = [
    "LAMBDA_TIME_LIMIT",
    "Invoker",
    "ServiceError",
    "check_schema",
    "run_validators",
    "schema_problems",
]
