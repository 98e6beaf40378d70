"""Which configuration the command works on: a stack's outputs, or the bucket and key given."""

from __future__ import annotations

from pathlib import PurePosixPath
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
    keys: tuple[str, ...] = ()
    """Every configuration object of the stack (just ``key`` without a stack)."""
    stages: tuple[str, ...] = ()
    """The stack's stages in promotion order (empty without a stack)."""
    queue_url: str | None = None
    """The deploy queue, where ``promote`` sends its approvals."""
    approval: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def with_key(self, key: str) -> Target:
        return self._replace(key=key)


class StackOutputs(NamedTuple):
    """What the stack's outputs say (a tuple: see :class:`Target`)."""

    bucket: str
    prefix: str
    names: tuple[str, ...]
    stages: tuple[str, ...] = ()
    queue_url: str | None = None
    approval: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.prefix + name for name in self.names)

    def key_for(self, chosen: str | None, file: str | None) -> str:
        """The key ``--key`` names (a configuration's name or whole key), or the one named like the
        file, or the only one."""
        if chosen:
            matches = [k for k, n in zip(self.keys, self.names, strict=True) if chosen in (k, n)]
            if not matches:
                raise TargetError(f"{chosen!r} is not a configuration of the stack: {', '.join(self.names)}")
            return matches[0]
        if len(self.keys) == 1:
            return self.keys[0]
        named = [
            k for k, n in zip(self.keys, self.names, strict=True) if file and PurePosixPath(file).name == n
        ]
        if named:
            return named[0]
        raise TargetError(
            f"the stack has several configurations: name one with --key ({', '.join(self.names)})"
        )


def from_stack(cloudformation: Any, stack: str) -> StackOutputs:
    """The stack's ``ConfigBucketName``, ``ConfigObjectPrefix``, ``ConfigurationNames``,
    ``StageNames``, ``DeployQueueUrl`` and ``PromotionApprovalMode`` outputs (a stack of this
    template from before the stages had ``ConfigObjectKey`` and ``AppConfigEnvironmentName``)."""
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
    if "ConfigBucketName" not in outputs or not (
        "ConfigurationNames" in outputs or "ConfigObjectKey" in outputs
    ):
        raise TargetError(
            f"stack {stack} has no ConfigBucketName or ConfigurationNames output: is it an "
            "s3-appconfig-rollout stack (deployed from this repository's template.yaml)?"
        )
    if "ConfigurationNames" in outputs:
        prefix = outputs.get("ConfigObjectPrefix", "")
        names = tuple(n.strip() for n in outputs["ConfigurationNames"].split(","))
    else:
        key = outputs["ConfigObjectKey"]
        prefix, names = key[: len(key) - len(PurePosixPath(key).name)], (PurePosixPath(key).name,)
    stages = outputs.get("StageNames") or outputs.get("AppConfigEnvironmentName") or ""
    return StackOutputs(
        bucket=outputs["ConfigBucketName"],
        prefix=prefix,
        names=names,
        stages=tuple(s.strip() for s in stages.split(",") if s.strip()),
        queue_url=outputs.get("DeployQueueUrl"),
        approval=outputs.get("PromotionApprovalMode"),
    )
