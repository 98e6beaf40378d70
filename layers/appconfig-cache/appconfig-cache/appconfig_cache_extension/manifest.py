"""The agent manifest (``MANIFEST``): per-configuration credentials and ``writeTo`` copies on disk.

As AWS's "additional retrieval features" pages define it, a manifest is a JSON object whose keys
are ``Application:Environment:Configuration`` and whose values enable features for that
configuration::

    {"App:Env:Config": {"credentials": {"roleArn": "arn:aws:iam::111122223333:role/Reader",
                                         "roleExternalId": "...", "roleSessionName": "...",
                                         "credentialsDuration": "2h"},
                        "writeTo": {"path": "/tmp/aws-appconfig/app/env/config.json"}}}

It comes from a file (``file:/path``), from a configuration deployed with AppConfig
(``App:Env:ManifestConfig``, re-read like any configuration, so a new deployment of it applies
at the next poll), or from the variable itself (its JSON). Every configuration it names is
fetched at start-up (a copy on disk is for readers that never ask the extension), with the
manifest's role when it gives one (assumed with the function's credentials, or ROLE_ARN's),
and written to its ``writeTo`` path, in plain text, at every new version.
"""

from __future__ import annotations

import json
import os
import re
import threading

from appconfig_cache_extension.paths import PathError, parse_colon_form
from appconfig_cache_extension.settings import (
    EXTERNAL_ID_FORMS,
    EXTERNAL_ID_PATTERN,
    ROLE_ARN_PATTERN,
    SESSION_NAME_PATTERN,
    duration_s,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from appconfig_cache_extension.cache import Snapshot
    from appconfig_cache_extension.credentials import CredentialSource
    from appconfig_cache_extension.log import Logger
    from appconfig_cache_extension.paths import ConfigKey

    # (role ARN, external ID, session name, duration) -> the credentials of that role
    RoleFactory = Callable[["RoleSpec"], CredentialSource]

FEATURES = ("credentials", "writeTo")
CREDENTIAL_FIELDS = ("roleArn", "roleExternalId", "roleSessionName", "credentialsDuration")
# STS AssumeRole's DurationSeconds range.
MIN_DURATION_S, MAX_DURATION_S = 900, 43200
DEFAULT_DURATION_S = 3600


class ManifestError(ValueError):
    """A manifest that cannot be used; ``str()`` names the configuration and field."""


class RoleSpec(tuple[str, "str | None", str, int]):
    __slots__ = ()

    def __new__(cls, role_arn: str, external_id: str | None, session_name: str, duration: int) -> RoleSpec:
        return tuple.__new__(cls, (role_arn, external_id, session_name, duration))

    @property
    def role_arn(self) -> str:
        return self[0]

    @property
    def external_id(self) -> str | None:
        return self[1]

    @property
    def session_name(self) -> str:
        return self[2]

    @property
    def duration_s(self) -> int:
        return self[3]


class Entry:
    __slots__ = ("key", "role", "write_to")

    def __init__(self, key: ConfigKey, role: RoleSpec | None, write_to: str | None) -> None:
        self.key = key
        self.role = role
        self.write_to = write_to

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entry) and (self.key, self.role, self.write_to) == (
            other.key,
            other.role,
            other.write_to,
        )

    def __hash__(self) -> int:
        return hash((self.key, self.role, self.write_to))

    def __repr__(self) -> str:
        return f"Entry({self.key}, role={self.role!r}, write_to={self.write_to!r})"


def parse_manifest(text: str | bytes, *, default_session_name: str) -> dict[ConfigKey, Entry]:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ManifestError(f"the manifest is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ManifestError("the manifest must be a JSON object of App:Env:Config keys")
    entries: dict[ConfigKey, Entry] = {}
    for name, features in document.items():
        try:
            key = parse_colon_form(name)
        except PathError as error:
            raise ManifestError(f"manifest key {name!r}: {error}") from None
        if not isinstance(features, dict):
            raise ManifestError(f"{name}: the features must be an object")
        unknown = sorted(set(features) - set(FEATURES))
        if unknown:
            raise ManifestError(f"{name}: unknown feature {unknown[0]!r}; known: {', '.join(FEATURES)}")
        role = (
            _role(name, features["credentials"], default_session_name) if "credentials" in features else None
        )
        write_to = _write_to(name, features["writeTo"]) if "writeTo" in features else None
        entries[key] = Entry(key, role, write_to)
    return entries


def _role(name: str, credentials: Any, default_session_name: str) -> RoleSpec:
    if not isinstance(credentials, dict):
        raise ManifestError(f"{name}: credentials must be an object")
    unknown = sorted(set(credentials) - set(CREDENTIAL_FIELDS))
    if unknown:
        raise ManifestError(
            f"{name}: unknown credentials field {unknown[0]!r}; known: {', '.join(CREDENTIAL_FIELDS)}"
        )
    role_arn = credentials.get("roleArn")
    if not isinstance(role_arn, str) or not re.fullmatch(ROLE_ARN_PATTERN, role_arn):
        raise ManifestError(
            f"{name}: credentials.roleArn must be an IAM role ARN, arn:aws:iam::123456789012:role/Name"
        )
    external_id = credentials.get("roleExternalId")
    if external_id is not None and (
        not isinstance(external_id, str) or not re.fullmatch(EXTERNAL_ID_PATTERN, external_id)
    ):
        raise ManifestError(f"{name}: credentials.roleExternalId must be {EXTERNAL_ID_FORMS}")
    session_name = credentials.get("roleSessionName", default_session_name)
    if not isinstance(session_name, str) or not re.fullmatch(SESSION_NAME_PATTERN, session_name):
        raise ManifestError(
            f"{name}: credentials.roleSessionName must be 2 to 64 characters of letters, digits and +=,.@-_"
        )
    duration = DEFAULT_DURATION_S
    if "credentialsDuration" in credentials:
        text = credentials["credentialsDuration"]
        seconds = duration_s(text, "s") if isinstance(text, str) else None
        if seconds is None or not MIN_DURATION_S <= seconds <= MAX_DURATION_S:
            raise ManifestError(f"{name}: credentials.credentialsDuration must be 15m to 12h, e.g. 2h")
        duration = int(seconds)
    return RoleSpec(role_arn, external_id, session_name, duration)


def _write_to(name: str, write_to: Any) -> str:
    if not isinstance(write_to, dict) or set(write_to) != {"path"}:
        raise ManifestError(f'{name}: writeTo must be {{"path": "/absolute/path"}}')
    path = write_to["path"]
    if not isinstance(path, str) or not path.startswith("/") or "\0" in path or path.endswith("/"):
        raise ManifestError(f"{name}: writeTo.path must be an absolute file path")
    return path


class Manifest:
    """The manifest in force; replaced whole when a new version of it arrives."""

    def __init__(
        self,
        roles: RoleFactory,
        log: Logger,
        base: CredentialSource,
        *,
        wait_s: float = 0.0,
        source_key: ConfigKey | None = None,
    ) -> None:
        self.source_key = source_key  # the manifest's own configuration, read with ``base``
        self._roles = roles
        self._log = log
        self._base = base
        self._wait_s = wait_s
        self._lock = threading.Lock()
        self._entries: dict[ConfigKey, Entry] = {}
        self._credentials: dict[RoleSpec, CredentialSource] = {}
        self.ready = threading.Event()  # processed once (or given up on): fetches may choose credentials

    @property
    def entries(self) -> dict[ConfigKey, Entry]:
        with self._lock:
            return dict(self._entries)

    def apply(self, entries: dict[ConfigKey, Entry]) -> list[ConfigKey]:
        """Put ``entries`` in force; returns the configurations that are new or changed."""
        with self._lock:
            changed = [k for k, e in entries.items() if self._entries.get(k) != e]
            self._entries = entries
        self.ready.set()
        return changed

    def credentials_for(self, key: ConfigKey) -> CredentialSource:
        """The credentials ``key`` is fetched with. Until the manifest has been processed (it is
        still being fetched, with WAIT_ON_MANIFEST=false) this waits for it, at most ``wait_s``:
        signing with the wrong account's credentials would only earn an AccessDenied."""
        if key == self.source_key:
            return self._base
        if not self.ready.is_set():
            self.ready.wait(self._wait_s)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.role is None:
                return self._base
            source = self._credentials.get(entry.role)
            if source is None:
                source = self._credentials[entry.role] = self._roles(entry.role)
            return source

    def write(self, key: ConfigKey, snapshot: Snapshot) -> None:
        """In the fetch thread, at each new version: the ``writeTo`` copy, replaced atomically."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry.write_to is None:
            return
        try:
            write_atomically(entry.write_to, snapshot.content)
        except OSError as error:
            self._log.error("cannot write configuration", key=str(key), path=entry.write_to, error=str(error))
            return
        self._log.info(f"wrote configuration '{key}' to {entry.write_to}", key=str(key), path=entry.write_to)


def write_atomically(path: str, content: bytes) -> None:
    """Readers see the old file or the new one, never half of one; only the owner may read it."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    # Per thread: the manifest's first write and a fetch thread's may write one path at once.
    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
