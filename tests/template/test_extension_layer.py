"""The caching extension layer in the template and in `sam build`'s output."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.template
LAYER = Path(__file__).resolve().parents[2] / "layers" / "appconfig-cache"


def layer_python_versions() -> list[str]:
    """LAYER_PYTHON_VERSIONS of the layer's Makefile: the runtimes its C loader is built for."""
    match = re.search(r"^LAYER_PYTHON_VERSIONS := (.+)$", (LAYER / "Makefile").read_text(), re.MULTILINE)
    assert match
    return match[1].split()


def test_layer_is_a_makefile_build_for_both_architectures_and_both_runtimes(template: dict[str, Any]) -> None:
    layer = template["Resources"]["AppConfigCacheLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    # BuildMethod python3.x would nest everything under python/, where Lambda starts no extension.
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    properties = layer["Properties"]
    assert properties["ContentUri"].rstrip("/") == "layers/appconfig-cache"
    # Exactly the runtimes the build makes the C loader for (and no non-Python runtime: there the
    # launcher can only fail Init, see the README).
    assert sorted(properties["CompatibleRuntimes"]) == [f"python{v}" for v in layer_python_versions()]
    assert sorted(properties["CompatibleArchitectures"]) == ["arm64", "x86_64"]
    assert template["Outputs"]["AppConfigCacheLayerArn"]["Value"] == {"Ref": "AppConfigCacheLayer"}


@pytest.mark.parametrize("architecture", ["arm64"])
def test_sam_build_holds_an_executable_extension_and_the_client(
    sam_build: Callable[[str], Path], architecture: str
) -> None:
    layer = sam_build(architecture) / "AppConfigCacheLayer"
    launcher = layer / "extensions" / "appconfig-cache"
    assert launcher.is_file()
    assert os.access(launcher, os.X_OK)
    assert (layer / "appconfig-cache" / "main.py").is_file()
    assert (layer / "appconfig-cache" / "yaml" / "__init__.py").is_file()
    assert (layer / "appconfig-cache" / "dateutil" / "tz" / "__init__.py").is_file()
    # Compiled code is PyYAML's C loader alone, once per runtime and CPU: one artifact for both.
    expected = {
        f"_yaml.cpython-{v.replace('.', '')}-{cpu}-linux-gnu.so"
        for v in layer_python_versions()
        for cpu in ("aarch64", "x86_64")
    }
    assert {p.name for p in layer.rglob("*.so")} == expected
    assert (layer / "python" / "appconfig_cache" / "client.py").is_file()
    assert not list(layer.rglob("botocore"))  # the runtime's own SDK is used
