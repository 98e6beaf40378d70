"""MANIFEST with the built layer against the local AppConfig service: a manifest file, a manifest
deployed as a configuration, WAIT_ON_MANIFEST, writeTo copies, and manifests that fail Init."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest

from tests.integration.extension.conftest import APP, ENV, FLAGS_V1, PROFILE, Deployed, Running

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.integration
P = "AWS_APPCONFIG_EXTENSION_"


def wait_for_file(path: Path, timeout: float = 60.0) -> bytes:
    """The file once written (the timeout only bounds a hang)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.05)
    return path.read_bytes()


def deploy_manifest(deployed: Deployed, manifest: dict[str, object]) -> str:
    profile = deployed.appconfig.create_configuration_profile(
        ApplicationId=deployed.app_id, Name="agent-manifest", LocationUri="hosted"
    )["Id"]
    version = deployed.appconfig.create_hosted_configuration_version(
        ApplicationId=deployed.app_id,
        ConfigurationProfileId=profile,
        Content=json.dumps(manifest).encode(),
        ContentType="application/json",
    )["VersionNumber"]
    deployed.appconfig.start_deployment(
        ApplicationId=deployed.app_id,
        EnvironmentId=deployed.env_id,
        DeploymentStrategyId=deployed.strategy_id,
        ConfigurationProfileId=profile,
        ConfigurationVersion=str(version),
    )
    return f"{APP}:{ENV}:agent-manifest"


def test_a_manifest_file_writes_its_configurations_to_disk_without_any_request(
    deployed: Deployed, start_extension: Callable[..., Running], tmp_path: Path
) -> None:
    copy = tmp_path / "copies" / "flags.yml"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({f"{APP}:{ENV}:{PROFILE}": {"writeTo": {"path": str(copy)}}}))
    running = start_extension({P + "MANIFEST": f"file:{manifest}"})
    assert wait_for_file(copy) == FLAGS_V1
    assert f"wrote configuration '{APP}:{ENV}:{PROFILE}' to {copy}" in running.sandbox.logs()


def test_a_manifest_deployed_in_appconfig_is_waited_for_and_applied(
    deployed: Deployed, start_extension: Callable[..., Running], tmp_path: Path
) -> None:
    copy = tmp_path / "flags.yml"
    source = deploy_manifest(deployed, {f"{APP}:{ENV}:{PROFILE}": {"writeTo": {"path": str(copy)}}})
    running = start_extension({P + "MANIFEST": source})  # WAIT_ON_MANIFEST defaults to true
    assert "manifest applied" in running.sandbox.logs()  # before Init ended
    assert wait_for_file(copy) == FLAGS_V1


def test_an_invalid_manifest_file_fails_init(start_extension: Callable[..., Running], tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"A:E:C": {"writeTo": {"path": "relative"}}}))
    running = start_extension({P + "MANIFEST": f"file:{manifest}"}, ready=False)
    assert running.sandbox.wait_exit() == {"appconfig-cache": 1}
    [error] = running.sandbox.errors
    assert (error.phase, error.error_type) == ("init", "Extension.InvalidManifest")
    assert "A:E:C: writeTo.path must be an absolute file path" in error.body["errorMessage"]


def test_a_missing_manifest_file_fails_init(start_extension: Callable[..., Running], tmp_path: Path) -> None:
    running = start_extension({P + "MANIFEST": f"file:{tmp_path / 'nope.json'}"}, ready=False)
    assert running.sandbox.wait_exit() == {"appconfig-cache": 1}
    [error] = running.sandbox.errors
    assert error.error_type == "Extension.InvalidManifest"


def test_an_unreadable_manifest_configuration_fails_init_unless_not_waited_for(
    deployed: Deployed, start_extension: Callable[..., Running]
) -> None:
    missing = f"{APP}:{ENV}:no-such-manifest"
    waiting = start_extension({P + "MANIFEST": missing, P + "POLL_TIMEOUT_MILLIS": "1s"}, ready=False)
    assert waiting.sandbox.wait_exit(timeout=60) == {"appconfig-cache": 1}  # a hang guard
    [error] = waiting.sandbox.errors
    assert error.error_type == "Extension.InvalidManifest"
    assert "WAIT_ON_MANIFEST=false" in error.body["errorMessage"]
    # Not waited for: Init completes and every other configuration is served as usual.
    running = start_extension({P + "MANIFEST": missing, P + "WAIT_ON_MANIFEST": "false"})
    import urllib.request

    with running.sandbox.invocation(), urllib.request.urlopen(running.url(), timeout=10) as response:
        assert response.read() == FLAGS_V1
