"""A Powertools ``FeatureFlags`` store backed by the caching extension.

Powertools' rules engine evaluates the flags; this store only supplies the document, parsed once
per version by the client (YAML or JSON, by the rules the validator applies), with an optional
JMESPath ``envelope`` as in Powertools' own stores. Every failure to get or read the document is
Powertools' ``ConfigurationStoreError``. Requires ``aws-lambda-powertools`` in the function.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import jmespath_utils
from aws_lambda_powertools.utilities.feature_flags.base import StoreProvider
from aws_lambda_powertools.utilities.feature_flags.exceptions import ConfigurationStoreError

from appconfig_cache.client import ConfigurationClient, ConfigurationError, default_client
from appconfig_cache.documents import DocumentError


class ExtensionStore(StoreProvider):
    def __init__(
        self,
        application: str,
        environment: str,
        profile: str,
        *,
        envelope: str = "",
        client: ConfigurationClient | None = None,
    ) -> None:
        self.application = application
        self.environment = environment
        self.profile = profile
        self.envelope = envelope
        self._client = client
        self._extracted: tuple[Any, dict[str, Any]] | None = None

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        client = self._client or default_client()
        try:
            document = client.get(self.application, self.environment, self.profile).document
        except (ConfigurationError, DocumentError, ImportError) as error:
            raise ConfigurationStoreError(f"cannot read the feature flags configuration: {error}") from error
        if not isinstance(document, dict):
            raise ConfigurationStoreError("the feature flags configuration is not a mapping")
        return document

    def get_configuration(self) -> dict[str, Any]:
        document = self.get_raw_configuration
        if not self.envelope:
            return document
        # The document object is the same while the version is: extract once per version.
        if self._extracted is None or self._extracted[0] is not document:
            self._extracted = (document, jmespath_utils.query(data=document, envelope=self.envelope))
        return self._extracted[1]
