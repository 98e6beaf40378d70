"""Local development mode: app:env:profile[.ext] files, content type by extension, edits picked up."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from appconfig_cache_extension.local_dev import LocalDirectoryPlane, content_type_for
from appconfig_cache_extension.plane import NotFound, TokenRejected
from appconfig_cache_extension.settings import ConfigKey

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("extension", "content_type"),
    [
        ("json", "application/json"),
        ("yaml", "application/x-yaml"),
        ("yml", "application/x-yaml"),
        ("txt", "text/plain"),
        ("", "application/octet-stream"),
        ("text%csv", "text/csv"),
        ("bin", "application/octet-stream"),
    ],
)
def test_content_type_from_the_extension(extension: str, content_type: str) -> None:
    assert content_type_for(extension) == content_type


def test_reads_the_file_and_reports_unchanged_as_an_empty_body(tmp_path: Path) -> None:
    (tmp_path / "app:env:feature-file.yml.yaml").write_text("a: 1\n")
    plane = LocalDirectoryPlane(str(tmp_path))
    key = ConfigKey("app", "env", "feature-file.yml")
    first = plane.get_latest(key, plane.start_session(key))
    assert (first.content, first.content_type) == (b"a: 1\n", "application/x-yaml")
    second = plane.get_latest(key, first.next_token)
    assert second.content == b""
    (tmp_path / "app:env:feature-file.yml.yaml").write_text("a: 2\n")
    assert plane.get_latest(key, second.next_token).content == b"a: 2\n"


def test_missing_file_is_not_found_and_a_bad_token_is_rejected(tmp_path: Path) -> None:
    plane = LocalDirectoryPlane(str(tmp_path))
    with pytest.raises(NotFound):
        plane.start_session(ConfigKey("a", "b", "c"))
    with pytest.raises(TokenRejected):
        plane.get_latest(ConfigKey("a", "b", "c"), "garbage")
