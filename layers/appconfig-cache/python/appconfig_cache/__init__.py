"""Read AppConfig configurations from the caching extension (``/opt/python`` of the layer).

>>> from appconfig_cache import get_configuration
>>> config = get_configuration("feature-flags", "production", "feature-file.yml")
>>> config.document  # parsed once per version

Flags evaluated by the extension (no Powertools, no botocore in the function):

>>> from appconfig_cache.flags import ExtensionFlags
>>> ExtensionFlags("feature-flags", "production", "feature-file.yml").evaluate(name="beta", default=False)
"""

from appconfig_cache.client import (
    Configuration,
    ConfigurationClient,
    ConfigurationError,
    ExtensionUnavailable,
    default_client,
    get_configuration,
)

__all__ = [
    "Configuration",
    "ConfigurationClient",
    "ConfigurationError",
    "ExtensionUnavailable",
    "default_client",
    "get_configuration",
]
