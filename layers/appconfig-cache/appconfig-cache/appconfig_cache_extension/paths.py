"""The one grammar for naming a configuration, shared by ``PREFETCH_LIST``, ``MANIFEST`` and requests.

AWS's agent names a configuration ``/applications/A/environments/E/configurations/P`` (each
segment a name or an ID, percent-encoded when it holds ``/`` or other reserved characters) or,
in its settings, ``A:E:P``. A path that a request would be refused for is refused as a setting
too, with the same reason: a PREFETCH_LIST entry that no request could ever name is a typo.
"""

from __future__ import annotations

# AppConfigData identifiers (names or IDs) are 1 to 128 characters.
MAX_IDENTIFIER = 128
_HEX = frozenset("0123456789abcdefABCDEF")


class PathError(ValueError):
    """A configuration name that cannot be read; ``str()`` says why."""


class ConfigKey(tuple[str, str, str]):
    """A configuration as the caller names it: names and IDs are kept apart, as AWS's agent does.

    A tuple rather than a dataclass: importing ``dataclasses`` (and ``inspect`` with it) would
    add milliseconds between process start and registering.
    """

    __slots__ = ()

    def __new__(cls, application: str, environment: str, profile: str) -> ConfigKey:
        return tuple.__new__(cls, (application, environment, profile))

    @property
    def application(self) -> str:
        return self[0]

    @property
    def environment(self) -> str:
        return self[1]

    @property
    def profile(self) -> str:
        return self[2]

    def __str__(self) -> str:
        return f"{self[0]}:{self[1]}:{self[2]}"

    def __repr__(self) -> str:
        return f"ConfigKey{tuple(self)!r}"


def split_config_path(path: str) -> tuple[ConfigKey, list[str]] | None:
    """``/applications/A/environments/E/configurations/P[/rest...]`` as the key and the rest's segments.

    None when ``path`` does not have that shape (a route that does not exist); raises
    :class:`PathError` when it has the shape but a segment is not a valid name.
    """
    parts = path.split("/")
    if (
        len(parts) < 7
        or parts[0]
        or parts[1] != "applications"
        or parts[3] != "environments"
        or parts[5] != "configurations"
    ):
        return None
    key = ConfigKey(decode_identifier(parts[2]), decode_identifier(parts[4]), decode_identifier(parts[6]))
    return key, parts[7:]


def parse_config_path(path: str) -> ConfigKey:
    """Exactly ``/applications/A/environments/E/configurations/P``; raises :class:`PathError` otherwise."""
    split = split_config_path(path)
    if split is None or split[1]:
        raise PathError("expected /applications/{app}/environments/{env}/configurations/{profile}")
    return split[0]


def parse_colon_form(item: str) -> ConfigKey:
    """``App:Env:Profile`` (names or IDs as they are, no percent-decoding)."""
    parts = item.split(":")
    if len(parts) != 3:
        raise PathError("expected App:Env:Profile (use IDs when a name holds a colon)")
    for part in parts:
        check_identifier(part)
    return ConfigKey(*parts)


def parse_config_name(item: str) -> ConfigKey:
    """Either form, as the agent's settings accept them."""
    return parse_config_path(item) if item.startswith("/") else parse_colon_form(item)


def decode_identifier(raw: str) -> str:
    """A percent-encoded path segment as the name it stands for."""
    name = percent_decode(raw)
    check_identifier(name)
    return name


def check_identifier(name: str) -> None:
    if name in {"", ".", ".."}:
        raise PathError("empty or relative path segment")
    if len(name) > MAX_IDENTIFIER:
        raise PathError(f"names and IDs are at most {MAX_IDENTIFIER} characters")
    if not name.isprintable():
        raise PathError("control characters in a name")


def percent_decode(raw: str, *, plus_is_space: bool = False) -> str:
    """Strict RFC 3986 percent-decoding to UTF-8: a ``%`` not followed by two hex digits, or bytes
    that are not UTF-8, are errors rather than guesses (``urllib.parse`` would pass them through).
    """
    if plus_is_space:
        raw = raw.replace("+", " ")
    if "%" not in raw:
        return raw
    first, *rest = raw.split("%")
    decoded = bytearray(first.encode("utf-8"))
    for part in rest:
        if len(part) < 2 or part[0] not in _HEX or part[1] not in _HEX:
            raise PathError("malformed percent-encoding")
        decoded.append(int(part[:2], 16))
        decoded += part[2:].encode("utf-8")
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise PathError("percent-encoding is not UTF-8") from None
