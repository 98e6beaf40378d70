"""Local development mode: configurations from a directory, no AWS at all (AWS agent's convention).

A file named ``app:env:profile`` plus an optional extension serves that configuration; the
extension gives the content type (``.json``, ``.yaml``/``.yml``, ``.txt``, ``.type%subtype`` for
any other, none for ``application/octet-stream``). Files are re-read at the poll interval, so
editing one while ``sam local start-api`` runs shows up like a deployment would.
"""

from __future__ import annotations

import hashlib
import json
import os

from appconfig_cache_extension.paths import ConfigKey
from appconfig_cache_extension.plane import NotFound, Poll, TokenRejected

CONTENT_TYPES = {
    "json": "application/json",
    "yaml": "application/x-yaml",
    "yml": "application/x-yaml",
    "txt": "text/plain",
}
OCTET_STREAM = "application/octet-stream"


def content_type_for(extension: str) -> str:
    if not extension:
        return OCTET_STREAM
    if "%" in extension:
        return extension.replace("%", "/", 1)
    return CONTENT_TYPES.get(extension.lower(), OCTET_STREAM)


class LocalDirectoryPlane:
    """The data-plane interface over a directory; tokens carry the key and the last content's digest."""

    def __init__(self, directory: str) -> None:
        self._directory = directory

    def start_session(self, key: ConfigKey) -> str:
        self._find(key)  # an unknown configuration fails here, as StartConfigurationSession does
        return self._token(key, "")

    def get_latest(self, key: ConfigKey, token: str) -> Poll:
        try:
            fields = json.loads(token)
            if ConfigKey(*fields["key"]) != key:
                raise TokenRejected("token of another configuration")
            seen = str(fields["digest"])
        except (ValueError, KeyError, TypeError) as error:
            raise TokenRejected("corrupt local token") from error
        path, content_type = self._find(key)
        with open(path, "rb") as file:
            content = file.read()
        digest = hashlib.sha256(content).hexdigest()
        unchanged = digest == seen
        return Poll(
            content=b"" if unchanged else content,
            content_type=content_type,
            next_token=self._token(key, digest),
            next_poll_s=0.0,
            version=None,
        )

    def _find(self, key: ConfigKey) -> tuple[str, str]:
        name = str(key)
        try:
            entries = sorted(os.listdir(self._directory))
        except OSError as error:
            raise NotFound(f"local development directory unreadable: {error.strerror}") from error
        for entry in entries:
            if entry == name or (entry.startswith(name + ".") and "/" not in entry):
                path = os.path.join(self._directory, entry)
                if os.path.isfile(path):
                    return path, content_type_for(entry[len(name) + 1 :])
        raise NotFound(f"no file {name}[.ext] in the local development directory")

    @staticmethod
    def _token(key: ConfigKey, digest: str) -> str:
        return json.dumps({"key": [key.application, key.environment, key.profile], "digest": digest})
