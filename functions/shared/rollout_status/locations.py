"""Where a version's status lives: object tags on the version, a record beside the object.

Records sit under ``<key>.rollout/``, beside the configuration object, so that a grant an
uploader already has (``bucket/team-a/*``, or ``bucket/team-a/feature-file.yml*``) also lets it
read them. Their keys never equal the configuration key, so writing one never starts a
deployment (the deploy trigger matches the exact key; the deploy function also ignores any
other key).
"""

from __future__ import annotations

STATUS_TAG = "rollout-status"
DEPLOYMENT_TAG = "rollout-deployment"
OUR_TAGS = frozenset({STATUS_TAG, DEPLOYMENT_TAG})
RECORDS_SUFFIX = ".rollout/"
"""Appended to the configuration key to make the folder of its records."""


def records_prefix(key: str) -> str:
    return key + RECORDS_SUFFIX


def record_key(key: str, version_id: str) -> str:
    """The record of one version: ``feature-file.yml.rollout/<versionId>.json``."""
    return f"{records_prefix(key)}{version_id}.json"


def report_key(key: str, version_id: str) -> str:
    """The validator's problems for one version: ``feature-file.yml.rollout/<versionId>.validation.json``."""
    return f"{records_prefix(key)}{version_id}.validation.json"


def parse_s3_uri(uri: str) -> tuple[str, str] | None:
    """``s3://bucket/key`` -> (bucket, key); None for anything else (``hosted``, SSM, ...)."""
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[5:].partition("/")
    return (bucket, key) if bucket and key else None
