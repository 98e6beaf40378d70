"""The ``AWS_APPCONFIG_EXTENSION_*`` variables of AWS's agent, with its defaults and value formats.

An invalid value is an init error naming the variable and the forms it accepts, never a silent
default: a typo in a poll interval should fail the deployment, not poll every 45 s unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

PREFIX = "AWS_APPCONFIG_EXTENSION_"
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "fatal", "none")
# AppConfigData identifiers (names or IDs) are 1 to 128 characters.
MAX_IDENTIFIER = 128


class SettingsError(ValueError):
    """A variable has a value outside its accepted forms."""

    def __init__(self, variable: str, value: str, accepted: str) -> None:
        self.variable = PREFIX + variable
        super().__init__(f"{self.variable}={value!r} is invalid; accepted: {accepted}")


@dataclass(frozen=True, order=True)
class ConfigKey:
    """A configuration as the caller names it: names and IDs are kept apart, as AWS's agent does."""

    application: str
    environment: str
    profile: str

    def __str__(self) -> str:
        return f"{self.application}:{self.environment}:{self.profile}"


@dataclass(frozen=True)
class Settings:
    http_port: int = 2772
    poll_interval_s: float = 45.0
    poll_timeout_s: float = 3.0
    prefetch: tuple[ConfigKey, ...] = ()
    max_connections: int = 3
    log_level: str = "info"
    role_arn: str | None = None
    role_external_id: str | None = None
    role_session_name: str = "AWSAppConfigAgentSession"
    service_region: str | None = None
    proxy_url: str | None = None
    local_development_directory: str | None = None


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
    role = get("ROLE_ARN")
    return Settings(
        http_port=parse_port(port) if port else defaults.http_port,
        poll_interval_s=parse_interval(interval) if interval else defaults.poll_interval_s,
        poll_timeout_s=parse_timeout(timeout) if timeout else defaults.poll_timeout_s,
        prefetch=parse_prefetch(prefetch) if prefetch else (),
        max_connections=parse_connections(connections) if connections else defaults.max_connections,
        log_level=parse_log_level(level) if level else defaults.log_level,
        role_arn=parse_role_arn(role) if role else None,
        role_external_id=get("ROLE_EXTERNAL_ID"),
        role_session_name=get("ROLE_SESSION_NAME") or defaults.role_session_name,
        service_region=parse_region(get("SERVICE_REGION")),
        proxy_url=parse_proxy(proxy) if proxy else None,
        local_development_directory=get("LOCAL_DEVELOPMENT_DIRECTORY"),
    )


def parse_port(value: str) -> int:
    if value.isdigit() and 1 <= int(value) <= 65535:
        return int(value)
    raise SettingsError("HTTP_PORT", value, "a TCP port number from 1 to 65535, e.g. 2772")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)?")


def _duration_s(value: str, bare_unit: str) -> float | None:
    match = _DURATION.fullmatch(value.lower())
    if not match:
        return None
    number, unit = float(match[1]), match[2] or bare_unit
    return number * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def parse_interval(value: str) -> float:
    seconds = _duration_s(value, "s")
    # The agent refuses sub-second polling; AppConfig's own floor is enforced by its responses.
    if seconds is None or seconds < 1 or value.lower().endswith("ms"):
        raise SettingsError(
            "POLL_INTERVAL_SECONDS",
            value,
            "seconds as a number or with a unit: 45, 45s, 5m, 1h (at least 1s)",
        )
    return seconds


def parse_timeout(value: str) -> float:
    seconds = _duration_s(value, "ms")
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
    """``App:Env:Profile`` items or ``/applications/A/environments/E/configurations/P`` paths."""
    keys: list[ConfigKey] = []
    for raw in value.split(","):
        item = raw.strip()
        if not item:
            continue
        key = parse_config_path(item) if item.startswith("/") else _colon_form(item)
        if key is None:
            raise SettingsError(
                "PREFETCH_LIST",
                value,
                "comma-separated App:Env:Profile or /applications/A/environments/E/configurations/P items",
            )
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def _colon_form(item: str) -> ConfigKey | None:
    parts = item.split(":")
    if len(parts) != 3 or not all(_valid_identifier(p) for p in parts):
        return None
    return ConfigKey(*parts)


def parse_config_path(path: str) -> ConfigKey | None:
    """The agent's path form with percent-encoded segments, or None when it is not one."""
    parts = path.split("/")
    if (
        len(parts) != 7
        or parts[0]
        or (parts[1], parts[3], parts[5])
        != (
            "applications",
            "environments",
            "configurations",
        )
    ):
        return None
    names = [unquote(p, errors="strict") for p in (parts[2], parts[4], parts[6])]
    if not all(_valid_identifier(n) for n in names):
        return None
    return ConfigKey(*names)


def _valid_identifier(name: str) -> bool:
    return 0 < len(name) <= MAX_IDENTIFIER and name.isprintable() and name not in {".", ".."}


_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")


def parse_role_arn(value: str) -> str:
    if _ROLE_ARN.fullmatch(value):
        return value
    raise SettingsError("ROLE_ARN", value, "an IAM role ARN, arn:aws:iam::123456789012:role/Name")


_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


def parse_region(value: str | None) -> str | None:
    if value is None or _REGION.fullmatch(value):
        return value
    raise SettingsError("SERVICE_REGION", value, "an AWS Region code, e.g. eu-west-1")


def parse_proxy(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme in {"http", "https"} and parts.hostname:
        return value
    raise SettingsError("PROXY_URL", value, "an http:// or https:// URL, e.g. http://proxy.internal:3128")
