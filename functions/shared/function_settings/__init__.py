"""What every function's settings share: the variables ``template.yaml`` sets, read once at init.

A missing, blank or padded variable fails the function's Init with an error that names it and
says what it must hold, instead of a ``KeyError`` in the middle of an invocation (and an event
retried for nothing) or a fallback value that would quietly read some other configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


class SettingsError(ValueError):
    """A variable the function needs is missing, blank or padded with spaces."""

    def __init__(self, variable: str, problem: str, meaning: str) -> None:
        self.variable = variable
        super().__init__(f"{variable} is {problem}: it must hold {meaning} (template.yaml sets it)")


def required(env: Mapping[str, str], variables: Mapping[str, str]) -> list[str]:
    """The value of each of ``variables`` (name: what the template puts in it), in their order;
    raises :class:`SettingsError` naming the first one missing, blank or padded."""
    return [value(env, name, meaning) for name, meaning in variables.items()]


def value(env: Mapping[str, str], name: str, meaning: str) -> str:
    """The value of ``name``; raises :class:`SettingsError` if it is missing, blank or padded."""
    found = env.get(name)
    if found is None:
        raise SettingsError(name, "not set", meaning)
    if not found.strip() or found != found.strip():
        raise SettingsError(name, f"{found!r}, blank or padded with spaces", meaning)
    return found
