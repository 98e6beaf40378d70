"""The ``AWS_APPCONFIG_EXTENSION_*`` variables of AWS's agent, with its defaults and value formats.

An invalid value is an init error naming the variable and the forms it accepts, never a silent
default: a typo in a poll interval should fail the deployment, not poll every 45 s unnoticed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from appconfig_cache_extension.paths import MAX_IDENTIFIER, ConfigKey, PathError, parse_config_name

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MAX_IDENTIFIER", "ConfigKey", "ManifestSource", "Settings", "SettingsError", "parse_settings"]

PREFIX = "AWS_APPCONFIG_EXTENSION_"
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "fatal", "none")


class SettingsError(ValueError):
    """A variable has a value outside its accepted forms."""

    def __init__(self, variable: str, value: str, accepted: str) -> None:
        self.variable = PREFIX + variable
        super().__init__(f"{self.variable}={value!r} is invalid; accepted: {accepted}")


class ManifestSource(tuple[str, str]):
    """Where the manifest comes from: ``("file", path)``, ``("configuration", "A:E:P")`` or
    ``("inline", json)`` (AWS's additional-features page lists the three)."""

    __slots__ = ()

    def __new__(cls, kind: str, value: str) -> ManifestSource:
        return tuple.__new__(cls, (kind, value))

    @property
    def kind(self) -> str:
        return self[0]

    @property
    def value(self) -> str:
        return self[1]


class Settings:
    """Every setting, with AWS's defaults; immutable by convention, compared by value."""

    __slots__ = (
        "http_port",
        "local_development_directory",
        "log_level",
        "manifest",
        "max_connections",
        "poll_interval_s",
        "poll_timeout_s",
        "prefetch",
        "proxy_headers",
        "proxy_url",
        "role_arn",
        "role_external_id",
        "role_session_name",
        "service_region",
        "wait_on_manifest",
    )

    def __init__(
        self,
        *,
        http_port: int = 2772,
        poll_interval_s: float = 45.0,
        poll_timeout_s: float = 3.0,
        prefetch: tuple[ConfigKey, ...] = (),
        max_connections: int = 3,
        log_level: str = "info",
        role_arn: str | None = None,
        role_external_id: str | None = None,
        role_session_name: str = "AWSAppConfigAgentSession",
        service_region: str | None = None,
        proxy_url: str | None = None,
        proxy_headers: tuple[tuple[str, str], ...] = (),
        local_development_directory: str | None = None,
        manifest: ManifestSource | None = None,
        wait_on_manifest: bool = True,
    ) -> None:
        self.http_port = http_port
        self.poll_interval_s = poll_interval_s
        self.poll_timeout_s = poll_timeout_s
        self.prefetch = prefetch
        self.max_connections = max_connections
        self.log_level = log_level
        self.role_arn = role_arn
        self.role_external_id = role_external_id
        self.role_session_name = role_session_name
        self.service_region = service_region
        self.proxy_url = proxy_url
        self.proxy_headers = proxy_headers
        self.local_development_directory = local_development_directory
        self.manifest = manifest
        self.wait_on_manifest = wait_on_manifest

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Settings({fields})"


def parse_settings(env: Mapping[str, str]) -> Settings:
    """Read every setting from ``env``; raise :class:`SettingsError` on the first invalid one."""

    def get(name: str) -> str | None:
        value = env.get(PREFIX + name, "").strip()
        return value or None

    defaults = Settings()
    port = get("HTTP_PORT")
    interval = get("POLL_INTERVAL_SECONDS")
    timeout = get("POLL_TIMEOUT_MILLIS")
    prefetch = get("PREFETCH_LIST")
    connections = get("MAX_CONNECTIONS")
    level = get("LOG_LEVEL")
    proxy = get("PROXY_URL")
    proxy_headers = get("PROXY_HEADERS")
    role = get("ROLE_ARN")
    manifest = get("MANIFEST")
    wait = get("WAIT_ON_MANIFEST")
    if proxy_headers and not proxy:
        raise SettingsError(
            "PROXY_HEADERS", proxy_headers, "headers for the proxy of PROXY_URL, which is not set"
        )
    return Settings(
        http_port=parse_port(port) if port else defaults.http_port,
        poll_interval_s=parse_interval(interval) if interval else defaults.poll_interval_s,
        poll_timeout_s=parse_timeout(timeout) if timeout else defaults.poll_timeout_s,
        prefetch=parse_prefetch(prefetch) if prefetch else (),
        max_connections=parse_connections(connections) if connections else defaults.max_connections,
        log_level=parse_log_level(level) if level else defaults.log_level,
        role_arn=parse_role_arn(role) if role else None,
        role_external_id=parse_external_id(get("ROLE_EXTERNAL_ID")),
        role_session_name=parse_session_name(get("ROLE_SESSION_NAME")) or defaults.role_session_name,
        service_region=parse_region(get("SERVICE_REGION")),
        proxy_url=parse_proxy(proxy) if proxy else None,
        proxy_headers=parse_proxy_headers(proxy_headers) if proxy_headers else (),
        local_development_directory=parse_directory(get("LOCAL_DEVELOPMENT_DIRECTORY")),
        manifest=parse_manifest_source(manifest) if manifest else None,
        wait_on_manifest=parse_boolean("WAIT_ON_MANIFEST", wait) if wait else defaults.wait_on_manifest,
    )


def parse_port(value: str) -> int:
    if value.isdigit() and 1 <= int(value) <= 65535:
        return int(value)
    raise SettingsError("HTTP_PORT", value, "a TCP port number from 1 to 65535, e.g. 2772")


_DURATION = r"(\d+(?:\.\d+)?)(ms|s|m|h)?"  # patterns compile on first use (re caches them)


def duration_s(value: str, bare_unit: str) -> float | None:
    """Seconds of ``45``, ``300ms``, ``45s``, ``5m``, ``1h`` (a bare number is in ``bare_unit``)."""
    match = re.fullmatch(_DURATION, value.lower())
    if not match:
        return None
    number, unit = float(match[1]), match[2] or bare_unit
    return number * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def parse_interval(value: str) -> float:
    seconds = duration_s(value, "s")
    # The agent refuses sub-second polling; AppConfig's own floor is enforced by its responses.
    if seconds is None or seconds < 1 or value.lower().endswith("ms"):
        raise SettingsError(
            "POLL_INTERVAL_SECONDS",
            value,
            "seconds as a number or with a unit: 45, 45s, 5m, 1h (at least 1s)",
        )
    return seconds


def parse_timeout(value: str) -> float:
    seconds = duration_s(value, "ms")
    if seconds is None or seconds <= 0:
        raise SettingsError(
            "POLL_TIMEOUT_MILLIS", value, "milliseconds as a number or with a unit: 3000, 300ms, 5s"
        )
    return seconds


def parse_connections(value: str) -> int:
    if value.isdigit() and 1 <= int(value) <= 100:
        return int(value)
    raise SettingsError("MAX_CONNECTIONS", value, "a whole number from 1 to 100, e.g. 3")


def parse_log_level(value: str) -> str:
    level = value.lower()
    level = "warn" if level == "warning" else level
    if level in LOG_LEVELS:
        return level
    raise SettingsError("LOG_LEVEL", value, ", ".join(LOG_LEVELS) + " (any case)")


def parse_prefetch(value: str) -> tuple[ConfigKey, ...]:
    """``App:Env:Profile`` items or ``/applications/A/environments/E/configurations/P`` paths,
    read by the same grammar as request paths."""
    keys: list[ConfigKey] = []
    for raw in value.split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            key = parse_config_name(item)
        except PathError as error:
            raise SettingsError(
                "PREFETCH_LIST",
                value,
                f"comma-separated App:Env:Profile or /applications/A/environments/E/configurations/P "
                f"items ({item!r}: {error})",
            ) from None
        if key not in keys:
            keys.append(key)
    return tuple(keys)


ROLE_ARN_PATTERN = r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}"


def parse_role_arn(value: str) -> str:
    if re.fullmatch(ROLE_ARN_PATTERN, value):
        return value
    raise SettingsError("ROLE_ARN", value, "an IAM role ARN, arn:aws:iam::123456789012:role/Name")


_REGION = r"[a-z]+(-[a-z]+)+-\d+"


def parse_region(value: str | None) -> str | None:
    if value is None or re.fullmatch(_REGION, value):
        return value
    raise SettingsError("SERVICE_REGION", value, "an AWS Region code, e.g. eu-west-1")


def parse_proxy(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme in {"http", "https"} and parts.hostname:
        return value
    raise SettingsError("PROXY_URL", value, "an http:// or https:// URL, e.g. http://proxy.internal:3128")


# STS AssumeRole's constraints on ExternalId and RoleSessionName.
EXTERNAL_ID_PATTERN = r"[\w+=,.@:/-]{2,1224}"
EXTERNAL_ID_FORMS = "2 to 1224 characters: letters, digits and +=,.@:/-_"
SESSION_NAME_PATTERN = r"[\w+=,.@-]{2,64}"
SESSION_NAME_FORMS = "2 to 64 characters: letters, digits and +=,.@-_"


def parse_external_id(value: str | None) -> str | None:
    if value is None or re.fullmatch(EXTERNAL_ID_PATTERN, value):
        return value
    raise SettingsError("ROLE_EXTERNAL_ID", value, EXTERNAL_ID_FORMS)


def parse_session_name(value: str | None) -> str | None:
    if value is None or re.fullmatch(SESSION_NAME_PATTERN, value):
        return value
    raise SettingsError("ROLE_SESSION_NAME", value, SESSION_NAME_FORMS)


# RFC 9110 field names are tokens; values here cannot hold the comma that separates items.
_FIELD_NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"


def parse_proxy_headers(value: str) -> tuple[tuple[str, str], ...]:
    """``header: value`` or ``h1: v1, h2: v2`` (AWS's configuration page)."""
    headers: list[tuple[str, str]] = []
    for item in value.split(","):
        name, colon, field = item.partition(":")
        name, field = name.strip(), field.strip()
        if not colon or not re.fullmatch(_FIELD_NAME, name) or not field or not field.isprintable():
            raise SettingsError(
                "PROXY_HEADERS", value, "comma-separated name: value pairs, e.g. h1: v1, h2: v2"
            )
        headers.append((name, field))
    return tuple(headers)


def parse_manifest_source(value: str) -> ManifestSource:
    if value.startswith("file:"):
        path = value[len("file:") :]
        if path.startswith("/"):
            return ManifestSource("file", path)
    elif value.startswith("{"):
        return ManifestSource("inline", value)
    else:
        try:
            key = parse_config_name(value)
        except PathError:
            pass
        else:
            return ManifestSource("configuration", str(key))
    raise SettingsError(
        "MANIFEST",
        value,
        "App:Env:ManifestConfig (a configuration in AppConfig), file:/path/to/manifest.json, "
        "or the manifest's JSON itself",
    )


def parse_boolean(variable: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    raise SettingsError(variable, value, "true or false (any case)")


def parse_directory(value: str | None) -> str | None:
    import os

    if value is None or os.path.isdir(value):
        return value
    raise SettingsError("LOCAL_DEVELOPMENT_DIRECTORY", value, "the path of an existing directory")
