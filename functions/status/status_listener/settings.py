"""The function's environment, read once and checked at init: a missing or empty variable fails
the cold start with its name, not a later invocation with a KeyError."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    bucket: str
    key: str
    application_id: str
    environment_id: str
    environment_name: str
    profile_id: str

    _VARIABLES = {  # noqa: RUF012 - read-only class data
        "bucket": "CONFIG_BUCKET",
        "key": "CONFIG_KEY",
        "application_id": "APPCONFIG_APPLICATION_ID",
        "environment_id": "APPCONFIG_ENVIRONMENT_ID",
        "environment_name": "APPCONFIG_ENVIRONMENT_NAME",
        "profile_id": "APPCONFIG_PROFILE_ID",
    }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        missing = [name for name in cls._VARIABLES.values() if not environ.get(name)]
        if missing:
            raise SettingsError(
                f"the status function needs these environment variables set: {', '.join(missing)}"
            )
        return cls(**{f.name: environ[cls._VARIABLES[f.name]] for f in fields(cls)})
