"""The service's memory: every resource, as the wire shapes AWS returns for it.

Resources are kept as dicts keyed by their modelled member names so that what a Create call
stored is what Get returns, member for member. One re-entrant lock guards it all. The slow work
of StartDeployment (the S3 read, the validators, up to 15 s) runs outside it; only the monitors'
alarm reads (one quick DescribeAlarms to moto per watched deployment) happen under it.
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.appconfig.errors import bad_request, not_found

if TYPE_CHECKING:
    from collections.abc import Iterable

    from localcloud.appconfig.deployments import Deployment

_ALPHABET = string.ascii_lowercase + string.digits


def new_id() -> str:
    """AppConfig IDs match ``[a-z0-9]{4,7}``; AWS issues seven characters."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(7))


@dataclass
class Environment:
    resource: dict[str, Any]
    deployments: list[Deployment] = field(default_factory=list)
    """By deployment number - 1."""
    reserved: bool = False
    """A StartDeployment is reading S3 or validating: the environment is taken."""


@dataclass
class Application:
    resource: dict[str, Any]
    environments: dict[str, Environment] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    hosted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Hosted configuration versions per profile ID, by version number - 1 (None once deleted)."""


@dataclass
class State:
    account_id: str
    region: str
    applications: dict[str, Application] = field(default_factory=dict)
    strategies: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def arn(self, path: str) -> str:
        return f"arn:aws:appconfig:{self.region}:{self.account_id}:{path}"

    def application(self, app_id: str) -> Application:
        app = self.applications.get(app_id)
        if app is None:
            raise not_found(f"Application {app_id} not found", "Application")
        return app

    def environment(self, app_id: str, env_id: str) -> Environment:
        env = self.application(app_id).environments.get(env_id)
        if env is None:
            raise not_found(f"Environment {env_id} not found in application {app_id}", "Environment")
        return env

    def profile(self, app_id: str, profile_id: str) -> dict[str, Any]:
        profile = self.application(app_id).profiles.get(profile_id)
        if profile is None:
            raise not_found(
                f"Configuration profile {profile_id} not found in application {app_id}",
                "ConfigurationProfile",
            )
        return profile

    def strategy(self, strategy_id: str) -> dict[str, Any]:
        strategy = self.strategies.get(strategy_id)
        if strategy is None:
            raise not_found(f"Deployment strategy {strategy_id} not found", "DeploymentStrategy")
        return strategy


def page(items: list[Any], params: dict[str, Any], default: int = 50) -> dict[str, Any]:
    """``MaxResults``/``NextToken`` paging over a list the caller has already ordered."""
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError as error:
        raise bad_request("The NextToken is not valid") from error
    size = int(params.get("MaxResults") or default)
    chunk = items[start : start + size]
    result: dict[str, Any] = {"Items": chunk}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result


def pick(resource: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: resource[k] for k in keys if k in resource}
