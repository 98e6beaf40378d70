"""The service's memory: every resource, as the wire shapes AWS returns for it.

Resources are kept as dicts keyed by their modelled member names so that what a Create call
stored is what Get returns, member for member. One re-entrant lock guards it all. The slow work
of StartDeployment (the S3 read, the validators, up to 15 s) runs outside it; only the monitors'
alarm reads (one quick DescribeAlarms to moto per watched deployment) happen under it.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.appconfig.errors import bad_request, not_found

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from localcloud.appconfig.deployments import Deployment

_ALPHABET = string.ascii_lowercase + string.digits
_ID = r"[a-z0-9]{4,7}"
_PATHS = (
    (re.compile(f"application/{_ID}"), "Application"),
    (re.compile(f"application/{_ID}/environment/{_ID}"), "Environment"),
    (re.compile(f"application/{_ID}/configurationprofile/{_ID}"), "ConfigurationProfile"),
    (re.compile(f"application/{_ID}/environment/{_ID}/deployment/[1-9][0-9]*"), "Deployment"),
    (re.compile(f"deploymentstrategy/{_ID}"), "DeploymentStrategy"),
    (re.compile(f"extensionassociation/{_ID}"), "ExtensionAssociation"),
)


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
    """One Region of one account: AppConfig resources are regional, and so is everything here."""

    account_id: str
    region: str
    applications: dict[str, Application] = field(default_factory=dict)
    strategies: dict[str, dict[str, Any]] = field(default_factory=dict)
    associations: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Extension associations by ID, as GetExtensionAssociation answers them."""
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def arn(self, path: str) -> str:
        return f"arn:aws:appconfig:{self.region}:{self.account_id}:{path}"

    def resource_type(self, arn: str) -> str:
        """The type of the resource an ARN of this Region and account names; ResourceNotFound if none.

        The resource paths are those of AppConfig's ARNs ("Resource types defined by AWS
        AppConfig", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsappconfig.html).
        """
        if not arn.startswith("arn:aws:appconfig:"):
            raise bad_request(f"{arn} is not the ARN of an AppConfig resource")
        prefix = self.arn("")
        path = arn[len(prefix) :] if arn.startswith(prefix) else ""
        kind = next((k for pattern, k in _PATHS if pattern.fullmatch(path)), None)
        if kind is None or not self._exists(kind, path.split("/")):
            raise not_found(f"Resource {arn} not found", kind)
        return kind

    def _exists(self, kind: str, p: list[str]) -> bool:
        app = self.applications.get(p[1]) if p[0] == "application" else None
        env = app.environments.get(p[3]) if app is not None and p[2:3] == ["environment"] else None
        checks: dict[str, Callable[[], bool]] = {
            "DeploymentStrategy": lambda: p[1] in self.strategies,
            "ExtensionAssociation": lambda: p[1] in self.associations,
            "Application": lambda: app is not None,
            "ConfigurationProfile": lambda: app is not None and p[3] in app.profiles,
            "Environment": lambda: env is not None,
            "Deployment": lambda: env is not None and 1 <= int(p[5]) <= len(env.deployments),
        }
        return checks[kind]()

    def forget(self, path: str) -> None:
        """A resource was deleted: its tags, its children's, and the extension associations on them go too."""
        arn = self.arn(path)
        for key in [k for k in self.tags if k == arn or k.startswith(arn + "/")]:
            del self.tags[key]
        for association_id, association in list(self.associations.items()):
            resource = association["ResourceArn"]
            if resource == arn or resource.startswith(arn + "/"):
                del self.associations[association_id]
                self.tags.pop(association["Arn"], None)

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
