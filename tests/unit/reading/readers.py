"""Every reader a feature file meets after the validator, side by side, on the same bytes.

A function may read the configuration through the layer's client (``Configuration.document``),
Powertools' ``FeatureFlags`` through ``ExtensionStore``, the extension's ``?flag=``, or, with
AWS's own layer, the plain body with ``yaml.safe_load`` (libyaml or pure Python) or ``json.loads``;
an editor reads it as YAML 1.2 (ruamel.yaml here). For each reader: its document, or the error.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any

import yaml
from appconfig_cache.client import Configuration, ConfigurationClient
from appconfig_cache.feature_flags import ExtensionStore
from appconfig_cache_extension.cache import Snapshot
from appconfig_cache_extension.flags import FlagError, prepare
from appconfig_reading import DocumentError, read_document
from appconfig_reading.agreement import json_disagreement
from appconfig_reading.text import decode
from appconfig_reading.yaml_loader import load_yaml
from aws_lambda_powertools.utilities.feature_flags.exceptions import ConfigurationStoreError
from ruamel.yaml import YAML

# Content types a feature file reaches consumers with: S3's default for an upload without one,
# the agent's local-development types, none, and the YAML types people set.
UNTYPED = ["binary/octet-stream", "application/octet-stream", "text/plain", "", None]
YAML_TYPES = ["application/x-yaml", "application/yaml", "text/yaml"]


def yaml12(body: bytes | str) -> Any:
    """ruamel.yaml's YAML 1.2 reading, with a loader of its own each time (one that has raised
    keeps state that changes what it reads next), quiet about the duplicate anchors it tolerates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return YAML(typ="safe", pure=True).load(body)


@dataclass(frozen=True)
class Outcome:
    """A document (as a type-exact text) or the kind of error a reader raised."""

    document: str | None
    error: str | None = None


def canonical(data: Any) -> str:
    """Equal for equal documents only: True, 1 and 1.0 differ, as do key orders."""
    return repr(data)


def _outcome(read: Any) -> Outcome:
    try:
        return Outcome(canonical(read()))
    except Exception as error:  # any failure is that reader's outcome
        return Outcome(None, type(error).__name__)


class _ServedAs(ConfigurationClient):
    """The layer's client, answering as the extension would with this body and content type."""

    def __init__(self, body: bytes, content_type: str | None) -> None:
        super().__init__(port=1)
        self._configuration = Configuration(body, content_type or "", etag="e1")

    def get(
        self,
        application: str,
        environment: str,
        profile: str,
        *,
        conditional: bool = True,
        max_age: float | None = None,
    ) -> Configuration:
        return self._configuration


def _store(body: bytes, content_type: str | None) -> Any:
    return ExtensionStore("app", "env", "profile", client=_ServedAs(body, content_type)).get_configuration()


def is_json_text(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def readings(body: bytes) -> dict[str, Outcome]:
    """What every reader makes of ``body``, for each content type it may come with."""
    types: list[str | None] = [*UNTYPED, *YAML_TYPES]
    if is_json_text(body):
        types.append("application/json")
    found = {
        "yaml.safe_load (libyaml)": _outcome(lambda: yaml.load(body, Loader=yaml.CSafeLoader)),
        "yaml.safe_load (pure Python)": _outcome(lambda: yaml.load(body, Loader=yaml.SafeLoader)),
        "YAML 1.2 (ruamel.yaml)": _outcome(lambda: yaml12(body)),
        "one reading, pure-Python parser": _outcome(lambda: load_yaml(decode(body), pure=True).data),
    }
    if is_json_text(body):
        found["json.loads"] = _outcome(lambda: json.loads(body))
    for content_type in types:
        found[f"read_document {content_type!r}"] = _outcome(
            lambda t=content_type: read_document(body, t).data
        )
        found[f"client {content_type!r}"] = _outcome(
            lambda t=content_type: Configuration(body, t or "").document
        )
        found[f"?flag= {content_type!r}"] = _outcome(
            lambda t=content_type: prepare(Snapshot(body, t or "", "e1")).document
        )
        found[f"ExtensionStore {content_type!r}"] = _outcome(lambda t=content_type: _store(body, t))
    return found


def reading_accepts(body: bytes) -> bool:
    """Whether the one reading (as the validator runs it) finds nothing any reader would differ on."""
    try:
        text = decode(body)
        loaded = load_yaml(text, limit=50, stop=False)
    except DocumentError:
        return False
    return not loaded.issues and json_disagreement(text, loaded.data) is None


# What the consumers' own errors are: never a raw parser exception.
CONSUMER_ERRORS = {
    "read_document": {"DocumentError"},
    "client": {"DocumentError"},
    "?flag=": {FlagError.__name__},
    "ExtensionStore": {ConfigurationStoreError.__name__},
}
