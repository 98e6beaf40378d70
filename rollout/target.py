"""Which configuration the command works on: a stack's outputs, or the bucket and key given."""

from __future__ import annotations

from typing import Any, NamedTuple


class TargetError(Exception):
    """The stack or the options do not name a configuration object."""


class Target(NamedTuple):
    """A tuple rather than a dataclass: ``dataclasses`` (and the ``inspect`` it imports) would be
    a tenth of what ``push`` spends before its upload, and nothing else imports them by then."""

    bucket: str
    key: str
    environment: str | None = None
    """The AppConfig environment whose status the command waits for (None: the record's summary)."""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def from_stack(cloudformation: Any, stack: str) -> Target:
    """The stack's ``ConfigBucketName``, ``ConfigObjectKey`` and ``AppConfigEnvironmentName`` outputs."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except Exception as error:
        # botocore is imported only once something failed: the light path may not need it.
        from botocore.exceptions import ClientError

        if not isinstance(error, ClientError):
            raise
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
