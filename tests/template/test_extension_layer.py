"""The caching extension layer in the template and in `sam build`'s output."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.template
# Where the extension runs: the Python runtimes the layer is built and tested for (README,
# "Where it runs"). Elsewhere its launcher can only fail Init, so no other runtime is listed.
RUNTIMES = ["python3.12", "python3.13", "python3.14"]


def test_layer_is_a_makefile_build_for_both_architectures_and_both_runtimes(template: dict[str, Any]) -> None:
    layer = template["Resources"]["AppConfigCacheLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    # BuildMethod python3.x would nest everything under python/, where Lambda starts no extension.
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    properties = layer["Properties"]
    assert properties["ContentUri"].rstrip("/") == "layers/appconfig-cache"
    assert sorted(properties["CompatibleRuntimes"]) == RUNTIMES
    assert sorted(properties["CompatibleArchitectures"]) == ["arm64", "x86_64"]
    assert template["Outputs"]["AppConfigCacheLayerArn"]["Value"] == {"Ref": "AppConfigCacheLayer"}


def test_sam_build_holds_an_executable_extension_and_the_client(sam_build: Callable[[], Path]) -> None:
    layer = sam_build() / "AppConfigCacheLayer"
    launcher = layer / "extensions" / "appconfig-cache"
    assert launcher.is_file()
    assert os.access(launcher, os.X_OK)
    assert (layer / "appconfig-cache" / "main.py").is_file()
    assert (layer / "appconfig-cache" / "yaml" / "__init__.py").is_file()
    assert (layer / "appconfig-cache" / "dateutil" / "tz" / "__init__.py").is_file()
    # Compiled code is PyYAML's C loader alone, once per listed runtime and CPU (the build reads
    # the list from CompatibleRuntimes): one artifact for both architectures.
    expected = {
        f"_yaml.cpython-{runtime.removeprefix('python').replace('.', '')}-{cpu}-linux-gnu.so"
        for runtime in RUNTIMES
        for cpu in ("aarch64", "x86_64")
    }
    assert {p.name for p in layer.rglob("*.so")} == expected
    assert (layer / "python" / "appconfig_cache" / "client.py").is_file()
    assert not list(layer.rglob("botocore"))  # the runtime's own SDK is used
