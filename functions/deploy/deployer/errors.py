"""Errors of the deploy path. Retryable ones propagate so that Lambda's async retries, and after
them the on-failure queue, take over: nothing is dropped."""

from __future__ import annotations


class RetryableError(Exception):
    """Raised out of the handler so that Lambda retries the event (then sends it to the failure queue)."""


class EnvironmentBusy(RetryableError):
    """Another configuration's deployment holds the environment (AppConfig deploys one at a time)."""


class DeploymentConflict(Exception):
    """StartDeployment answered ConflictException: a deployment is in progress in the environment."""


class ConfigurationRefused(Exception):
    """StartDeployment answered BadRequestException: a validator (or AppConfig) refused the version."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
