"""Feature flags evaluated by the extension, for functions that only need the answers.

The extension evaluates the deployed document with Powertools' rules (OFREP over its HTTP API),
so the function imports neither botocore nor Powertools' ``feature_flags`` package, and parses
nothing. ``ExtensionFlags.evaluate`` takes and returns what ``FeatureFlags.evaluate`` does:

>>> flags = ExtensionFlags("feature-flags", "production", "feature-file.yml")
>>> flags.evaluate(name="premium_features", context={"tier": "premium"}, default=False)
True

As with ``FeatureFlags``, a flag missing from the document, or a configuration that cannot be
read (the extension unavailable, AppConfig failing before a first copy), gives ``default``; a
document that is not a valid feature flags document raises :class:`InvalidFlags`, as Powertools'
schema validation does. A context with a ``targetingKey`` also gets ``rollout_bucket`` (0-99,
stable per flag and key), for sticky percentage rollouts.
"""

from __future__ import annotations

from typing import Any

from appconfig_cache.client import ConfigurationClient, ConfigurationError, default_client


class InvalidFlags(ConfigurationError):
    """The deployed document is not a feature flags document Powertools would evaluate."""


class FlagsUnavailable(ConfigurationError):
    """The flags cannot be evaluated now: the extension or AppConfig is not answering."""


class ExtensionFlags:
    def __init__(
        self, application: str, environment: str, profile: str, *, client: ConfigurationClient | None = None
    ) -> None:
        self.application = application
        self.environment = environment
        self.profile = profile
        self._client = client

    @property
    def client(self) -> ConfigurationClient:
        return self._client or default_client()

    def evaluate(self, *, name: str, context: dict[str, Any] | None = None, default: Any) -> Any:
        try:
            return self.client.evaluate_flag(self.application, self.environment, self.profile, name, context)
        except ConfigurationError as error:
            if error.code == "PARSE_ERROR":
                raise InvalidFlags(error.status, error.message, error.code) from None
            if error.code == "INVALID_CONTEXT":
                raise
            return default

    def evaluate_all(self, *, context: dict[str, Any] | None = None) -> dict[str, Any]:
        """Every flag for ``context``; raises :class:`FlagsUnavailable` or :class:`InvalidFlags`."""
        try:
            return self.client.evaluate(self.application, self.environment, self.profile, context)
        except ConfigurationError as error:
            if error.code == "PARSE_ERROR":
                raise InvalidFlags(error.status, error.message, error.code) from None
            if error.code == "INVALID_CONTEXT":
                raise
            raise FlagsUnavailable(error.status, error.message, error.code) from None
