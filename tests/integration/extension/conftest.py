"""The extension against the local AppConfig service: a hosted feature-flags profile, deployed
with a zero-time strategy, the built layer, and the local Lambda sandbox that runs it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from localcloud.lambda_runtime.sandbox import LambdaSandbox
from localcloud.moto import free_port
from localcloud.testing import LocalCloud, zero_time_strategy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_appconfig import AppConfigClient


ROOT = Path(__file__).resolve().parents[3]
LAYER = ROOT / "layers" / "appconfig-cache"
APP, ENV, PROFILE = "feature-flags", "production", "flags"
FLAGS_V1 = b"premium:\n  default: false\nbeta:\n  default: true\n"
FLAGS_V2 = b"premium:\n  default: true\nbeta:\n  default: true\n"
YAML = "application/x-yaml"


@pytest.fixture(scope="session")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer as ``sam build`` makes it (the same make target), built once per session."""
    artifacts = tmp_path_factory.mktemp("AppConfigCacheLayer")
    subprocess.run(
        ["make", "--no-print-directory", "-s", "build-AppConfigCacheLayer", f"ARTIFACTS_DIR={artifacts}"],
        cwd=LAYER,
        check=True,
        capture_output=True,
    )
    return artifacts


@dataclass
class Deployed:
    """One application, environment and hosted profile on the local service; ``deploy`` rolls out."""

    cloud: LocalCloud
    appconfig: AppConfigClient
    app_id: str
    env_id: str
    profile_id: str
    strategy_id: str

    def deploy(self, content: bytes, content_type: str = YAML) -> str:
        version = self.appconfig.create_hosted_configuration_version(
            ApplicationId=self.app_id,
            ConfigurationProfileId=self.profile_id,
            Content=content,
            ContentType=content_type,
        )
        number = str(version["VersionNumber"])
        self.appconfig.start_deployment(
            ApplicationId=self.app_id,
            EnvironmentId=self.env_id,
            DeploymentStrategyId=self.strategy_id,
            ConfigurationProfileId=self.profile_id,
            ConfigurationVersion=number,
        )
        return number


@pytest.fixture
def deployed(local_cloud: LocalCloud) -> Deployed:
    appconfig = local_cloud.client("appconfig")
    app = appconfig.create_application(Name=APP)
    env = appconfig.create_environment(ApplicationId=app["Id"], Name=ENV)
    profile = appconfig.create_configuration_profile(
        ApplicationId=app["Id"], Name=PROFILE, LocationUri="hosted"
    )
    strategy = zero_time_strategy(appconfig)
    world = Deployed(local_cloud, appconfig, app["Id"], env["Id"], profile["Id"], strategy)
    world.deploy(FLAGS_V1)
    return world


@dataclass
class Running:
    sandbox: LambdaSandbox
    port: int

    def url(self, path: str = f"/applications/{APP}/environments/{ENV}/configurations/{PROFILE}") -> str:
        return f"http://localhost:{self.port}{path}"


@pytest.fixture
def start_extension(built_layer: Path, tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Start the built layer's extension in a sandbox, on a free port unless one is given."""
    sandboxes: list[LambdaSandbox] = []

    def start(env: dict[str, str] | None = None, *, ready: bool = True, freeze: bool = True) -> Running:
        variables = {"AWS_APPCONFIG_EXTENSION_HTTP_PORT": str(free_port()), **(env or {})}
        sandbox = LambdaSandbox(
            built_layer,
            env=variables,
            freeze_between_invocations=freeze,
            log_dir=tmp_path / f"logs-{len(sandboxes)}",
        )
        sandboxes.append(sandbox)
        sandbox.start()
        if ready:
            sandbox.wait_ready()
        port = variables["AWS_APPCONFIG_EXTENSION_HTTP_PORT"]
        return Running(sandbox, int(port) if port.isdigit() else 0)

    yield start
    for sandbox in sandboxes:
        sandbox.close()
