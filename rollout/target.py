"""Which configuration the command works on: a stack's outputs, or the bucket and key given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class TargetError(Exception):
    """The stack or the options do not name a configuration object."""


@dataclass(frozen=True)
class Target:
    bucket: str
    key: str
    environment: str | None = None
    """The AppConfig environment whose status the command waits for (None: the record's summary)."""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def from_stack(cloudformation: Any, stack: str) -> Target:
    """The stack's ``ConfigBucketName``, ``ConfigObjectKey`` and ``AppConfigEnvironmentName`` outputs."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise TargetError(
            f"stack {stack}: {error.response.get('Error', {}).get('Message', error)}"
        ) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = [name for name in ("ConfigBucketName", "ConfigObjectKey") if name not in outputs]
    if missing:
        raise TargetError(
            f"stack {stack} has no {' or '.join(missing)} output: is it an s3-appconfig-rollout stack "
            "(deployed from this repository's template.yaml)?"
        )
    return Target(
        outputs["ConfigBucketName"], outputs["ConfigObjectKey"], outputs.get("AppConfigEnvironmentName")
    )
