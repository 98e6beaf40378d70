"""The stack's configurations and stages, as the template hands them to its functions.

``CONFIGURATIONS`` and ``ENVIRONMENTS`` list the names (the stages in promotion order); each
configuration's profile ID is in ``APPCONFIG_PROFILE_ID_<name>`` and each stage's environment ID
in ``APPCONFIG_ENVIRONMENT_ID_<name>``, the name with its non-alphanumeric characters left out,
as the template's ``Fn::ForEach`` writes the variable (``&{Config}``). The functions read them with
``function_settings.layout``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROFILE_ID_PREFIX = "APPCONFIG_PROFILE_ID_"
ENVIRONMENT_ID_PREFIX = "APPCONFIG_ENVIRONMENT_ID_"


def names(value: str) -> list[str]:
    """A comma-separated list as CloudFormation joins a CommaDelimitedList back (``!Join``)."""
    return [n.strip() for n in value.split(",")]


def variable(prefix: str, name: str) -> str:
    """The variable that holds a looped resource's ID (``&{}``: non-alphanumerics left out)."""
    return prefix + re.sub("[^0-9a-zA-Z]", "", name)


@dataclass(frozen=True)
class Configuration:
    name: str
    """The file name, the AppConfig profile's name."""
    key: str
    """The object's key: the prefix and the name."""
    profile_id: str


@dataclass(frozen=True)
class Stage:
    name: str
    """The AppConfig environment's name."""
    environment_id: str
    index: int
    """Its place in the promotion order (0: where uploads deploy)."""


@dataclass(frozen=True)
class Layout:
    bucket: str
    application_id: str
    configurations: tuple[Configuration, ...]
    stages: tuple[Stage, ...]

    def configuration(self, key: str) -> Configuration | None:
        return next((c for c in self.configurations if c.key == key), None)

    def configuration_of_profile(self, profile_id: str) -> Configuration | None:
        return next((c for c in self.configurations if c.profile_id == profile_id), None)

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def stage_of_environment(self, environment_id: str) -> Stage | None:
        return next((s for s in self.stages if s.environment_id == environment_id), None)

    @property
    def first(self) -> Stage:
        return self.stages[0]

    def after(self, stage: Stage) -> Stage | None:
        """The next stage in promotion order, or None after the last."""
        return self.stages[stage.index + 1] if stage.index + 1 < len(self.stages) else None

    def before(self, stage: Stage) -> Stage | None:
        return self.stages[stage.index - 1] if stage.index > 0 else None
