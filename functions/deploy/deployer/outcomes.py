"""What became of each event or record: every one ends in exactly one named outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    DEPLOYED = "deployed"
    """StartDeployment accepted this version; AppConfig rolls it out per the strategy."""
    SUPERSEDED = "superseded"
    """A newer version of the object exists: this one must never be deployed over it."""
    DUPLICATE = "duplicate"
    """This version already has a deployment in the environment (a repeated delivery)."""
    REJECTED = "rejected"
    """The validator refused the configuration. Terminal: retrying cannot change the verdict."""
    IGNORED = "ignored"
    """Not a new version of the configuration object (another key or bucket, a deletion, S3's
    test event)."""
    UNVERSIONED = "unversioned"
    """The record has no versionId: the bucket is not versioned, so there is nothing to deploy."""
    UNRECOGNIZED = "unrecognized"
    """Not an event this function handles (another service's, or malformed): the function is
    wired to something it should not be. Not retried: retrying cannot make it readable."""

    @property
    def metric_name(self) -> str:
        return f"Uploads{self.value.capitalize()}"

    @property
    def is_error(self) -> bool:
        """Outcomes that a person must look at (logged at ERROR)."""
        return self in (Outcome.REJECTED, Outcome.UNVERSIONED, Outcome.UNRECOGNIZED)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    reason: str
    deployment_number: int | None = None
    details: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome.value,
            "reason": self.reason,
            "deploymentNumber": self.deployment_number,
            **self.details,
        }
