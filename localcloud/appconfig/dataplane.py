"""AppConfigData: configuration sessions and single-use poll tokens.

https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-retrieving-the-configuration.html
https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_appconfigdata_GetLatestConfiguration.html

* StartConfigurationSession accepts names or IDs and answers an initial token.
* Each token is valid for one GetLatestConfiguration call and for 24 hours (service time); the
  answer carries the next token and the poll interval (the session's
  RequiredMinimumPollIntervalInSeconds, 60 seconds when none was asked for).
* A token used before the session's minimum interval has passed is refused with
  ``PollIntervalNotSatisfied`` and stays usable; an unknown token is ``Corrupted``; a used or
  24-hour-old token is ``Expired``.
* The body is empty when the session already has the version being served.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from localcloud.appconfig.errors import ServiceError, data_not_found, invalid_parameter

if TYPE_CHECKING:
    from localcloud.appconfig.clock import Clock
    from localcloud.appconfig.deployments import Content
    from localcloud.appconfig.rollouts import Rollouts
    from localcloud.appconfig.state import State

TOKEN_LIFETIME = timedelta(hours=24)
DEFAULT_POLL_INTERVAL = 60
SPENT_TOKENS_KEPT = 100_000
PRUNE_EVERY = 10_000


@dataclass
class Session:
    id: str
    application_id: str
    environment_id: str
    profile_id: str
    poll_interval: int
    minimum_interval: int | None
    delivered: Content | None = None


@dataclass
class Token:
    session: Session
    issued_at: datetime
    not_before: datetime


class DataPlane:
    def __init__(self, state: State, clock: Clock, rollouts: Rollouts) -> None:
        self.state = state
        self.clock = clock
        self.rollouts = rollouts
        self._tokens: dict[str, Token] = {}
        self._issued = 0
        self._spent: dict[str, None] = {}
        """Used and expired tokens (insertion-ordered, bounded): reused, they are Expired, not Corrupted."""

    def _advertised(self, seconds: int) -> int:
        """An interval as the client counts it: its own, real seconds.

        A time-scaled service runs its minutes in seconds; a client that honours
        NextPollIntervalInSeconds on its own clock must poll as much faster, or it would sleep
        through whole deployments. Tokens are still checked on service time."""
        scale = float(getattr(self.clock, "time_scale", 1.0))
        return max(1, math.ceil(seconds / scale))

    def StartConfigurationSession(self, p: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            app_id, env_id, profile_id = self._resolve(
                p["ApplicationIdentifier"], p["EnvironmentIdentifier"], p["ConfigurationProfileIdentifier"]
            )
            minimum = p.get("RequiredMinimumPollIntervalInSeconds")
            session = Session(
                secrets.token_hex(16),
                app_id,
                env_id,
                profile_id,
                int(minimum or DEFAULT_POLL_INTERVAL),
                minimum,
            )
            now = self.clock.now()
            return {"InitialConfigurationToken": self._issue(session, now, now)}

    def GetLatestConfiguration(self, p: dict[str, Any]) -> dict[str, Any]:
        value = p["ConfigurationToken"]
        with self.state.lock:
            now = self.clock.now()
            token = self._tokens.get(value)
            if token is None:
                problem = "Expired" if value in self._spent else "Corrupted"
                raise invalid_parameter(
                    f"The configuration token is {problem.lower()}", "ConfigurationToken", problem
                )
            if now - token.issued_at > TOKEN_LIFETIME:
                self._spend(value)
                raise invalid_parameter(
                    "The configuration token has expired (tokens last 24 hours)",
                    "ConfigurationToken",
                    "Expired",
                )
            if now < token.not_before:
                raise invalid_parameter(
                    "GetLatestConfiguration was called before the session's "
                    "RequiredMinimumPollIntervalInSeconds had passed",
                    "ConfigurationToken",
                    "PollIntervalNotSatisfied",
                )
            session = token.session
            self.rollouts.tick()
            try:
                content = self.rollouts.served(
                    session.application_id, session.environment_id, session.profile_id, session.id
                )
            except ServiceError as error:  # the environment was deleted since the session started
                raise data_not_found(error.message, "Environment", {"ConfigurationToken": value}) from error
            if content is None:
                raise data_not_found(
                    "No configuration has been deployed for this application, environment and profile",
                    "Deployment",
                    {"ConfigurationToken": value},
                )
            self._spend(value)
            interval = session.minimum_interval or 0
            next_token = self._issue(session, now, now + timedelta(seconds=interval))
            result: dict[str, Any] = {
                "NextPollConfigurationToken": next_token,
                "NextPollIntervalInSeconds": self._advertised(session.poll_interval),
                "ContentType": content.content_type,
            }
            if content is session.delivered:
                result["Configuration"] = b""
            else:
                session.delivered = content
                result["Configuration"] = content.data
                result["VersionLabel"] = content.version_label
            return result

    def session_of(self, value: str) -> tuple[str, str, str] | None:
        """The application, environment and profile IDs a token's session reads (for IAM)."""
        with self.state.lock:
            token = self._tokens.get(value)
            if token is None:
                return None
            s = token.session
            return s.application_id, s.environment_id, s.profile_id

    def resolve(self, app_ref: str, env_ref: str, profile_ref: str) -> tuple[str, str, str]:
        """Names or IDs to IDs; ResourceNotFoundException when one does not exist."""
        with self.state.lock:
            return self._resolve(app_ref, env_ref, profile_ref)

    def _spend(self, value: str) -> None:
        self._tokens.pop(value, None)
        self._spent[value] = None
        while len(self._spent) > SPENT_TOKENS_KEPT:
            del self._spent[next(iter(self._spent))]

    def _prune(self, now: datetime) -> None:
        """Forget tokens nobody used within their lifetime, so a long-running service stays small."""
        for value in [v for v, t in self._tokens.items() if now - t.issued_at > TOKEN_LIFETIME]:
            self._spend(value)

    def _issue(self, session: Session, now: datetime, not_before: datetime) -> str:
        self._issued += 1
        if self._issued % PRUNE_EVERY == 0:
            self._prune(now)
        value = secrets.token_urlsafe(96)
        self._tokens[value] = Token(session, now, not_before)
        return value

    def _resolve(self, app_ref: str, env_ref: str, profile_ref: str) -> tuple[str, str, str]:
        """Names or IDs, as the data plane accepts both."""
        apps = self.state.applications
        app = apps.get(app_ref) or next((a for a in apps.values() if a.resource.get("Name") == app_ref), None)
        if app is None:
            raise data_not_found(
                f"Application {app_ref} not found", "Application", {"ApplicationIdentifier": app_ref}
            )
        env = app.environments.get(env_ref) or next(
            (e for e in app.environments.values() if e.resource.get("Name") == env_ref), None
        )
        if env is None:
            raise data_not_found(
                f"Environment {env_ref} not found", "Environment", {"EnvironmentIdentifier": env_ref}
            )
        profile = app.profiles.get(profile_ref) or next(
            (r for r in app.profiles.values() if r.get("Name") == profile_ref), None
        )
        if profile is None:
            raise data_not_found(
                f"Configuration profile {profile_ref} not found",
                "ConfigurationProfile",
                {"ConfigurationProfileIdentifier": profile_ref},
            )
        return app.resource["Id"], env.resource["Id"], profile["Id"]
