"""Where the layer cannot run, Init fails with a message that says so, through Lambda's own
init/error: on runtimes without python3 (Node.js, Java, .NET, Ruby, provided.al2023 run on an
image without it) and with a python3 older than the extension needs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.integration.extension.conftest import Running

pytestmark = pytest.mark.integration


def test_a_runtime_without_python_fails_init_saying_so(
    start_extension: Callable[..., Running], tmp_path: Path
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()  # PATH holds nothing: no python3, no curl; the launcher needs bash alone
    running = start_extension({"PATH": str(empty)}, ready=False)
    assert running.sandbox.wait_exit() == {"appconfig-cache": 1}
    [error] = running.sandbox.errors
    assert (error.phase, error.error_type) == ("init", "Extension.NoPython")
    message = error.body["errorMessage"]
    assert "no python3" in message
    assert "Python 3.11 or later" in message
    assert "AWS-AppConfig-Extension" in message  # what to use instead
    assert running.sandbox.extensions["appconfig-cache"].events == ["INVOKE", "SHUTDOWN"]


def _old_python() -> str | None:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for version in ("3.10", "3.9", "3.8"):
        for candidate in sorted(root.glob(f"{version}*/bin/python{version}")):
            return str(candidate)
    return shutil.which("python3.10") or shutil.which("python3.9")


@pytest.mark.skipif(_old_python() is None, reason="no Python older than 3.11 on this machine")
def test_a_python_older_than_the_extension_needs_fails_init_naming_its_version(
    start_extension: Callable[..., Running], tmp_path: Path
) -> None:
    old = _old_python()
    assert old is not None
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").symlink_to(old)
    running = start_extension({"PATH": str(folder)}, ready=False)
    assert running.sandbox.wait_exit() == {"appconfig-cache": 1}
    [error] = running.sandbox.errors
    assert error.error_type == "Extension.NoPython"
    version = Path(old).name.removeprefix("python")
    assert f"python3 is {version}" in error.body["errorMessage"]
