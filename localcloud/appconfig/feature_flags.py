"""``AWS.AppConfig.FeatureFlags`` profiles: the stored document, its check, and what clients get.

https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-type-reference-feature-flags.html

* The hosted store keeps the document as written: ``{"version": "1", "flags": {...}, "values": {...}}``.
* CreateHostedConfigurationVersion checks it against the schema AWS publishes on that page
  (``feature-flags.schema.json`` beside this module), the work AWS gives its AWS-authored
  "AppConfig Feature Flags Helper" extension, which is associated with every feature-flag profile.
* GetLatestConfiguration serves the retrieval-time form: "the information that defines your
  feature flags and attributes is removed ... a map of keys that match each of the flag keys ...
  mapped values of true or false for the enabled attribute. If a flag sets enabled to true, any
  attributes of the flag will be present as well."

Multi-variant flags (``_variants``) are AWS AppConfig Agent territory; how the data plane hands
them to the agent is not documented, so the retrieval form here carries no variants.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from localcloud.appconfig.errors import invalid_configuration
from localcloud.appconfig.validators import schema_problems

TYPE = "AWS.AppConfig.FeatureFlags"
CONTENT_TYPE = "application/json"
SCHEMA = Path(__file__).with_name("feature-flags.schema.json")
# The name AWS's errors give the extension that does this work: "Error invoking extension AppConfig
# Feature Flags Helper: Malformed 'Content' provided" (https://github.com/aws/aws-sdk-java-v2/issues/5465).
_HELPER = "Error invoking extension AppConfig Feature Flags Helper"


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def check(content: bytes) -> dict[str, Any]:
    """The document, if ``content`` is feature-flag data AWS would store; else the refusal it answers."""
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid_configuration(
            f"{_HELPER}: Malformed 'Content' provided",
            [{"Type": "JSON_SCHEMA", "Location": "$", "Reason": f"not JSON: {error}"}],
        ) from error
    problems = schema_problems(_validator(), document)
    if problems:
        raise invalid_configuration(
            f"{_HELPER}: the content does not match the AWS.AppConfig.FeatureFlags schema", problems
        )
    problems = _reserved(document) or schema_problems(
        jsonschema.Draft7Validator(_values_schema(document)), document
    )
    if problems:
        raise invalid_configuration(f"{_HELPER}: flag values break their attributes' constraints", problems)
    result: dict[str, Any] = document
    return result


def _reserved(document: dict[str, Any]) -> list[dict[str, str]]:
    """The word "enabled" cannot name an attribute: "For attribute names, the word "enabled" is reserved"
    (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-feature-flags.html)."""
    return [
        {
            "Constraint": "reserved",
            "Location": f"$.flags.{key}.attributes.enabled",
            "Reason": "'enabled' is reserved and cannot name an attribute",
            "Type": "JSON_SCHEMA",
        }
        for key, flag in (document.get("flags") or {}).items()
        if "enabled" in (flag.get("attributes") or {})
    ]


def _values_schema(document: dict[str, Any]) -> dict[str, Any]:
    """Each flag's attribute constraints as a JSON Schema of its values ("Constraints ensure that no
    unexpected attribute values are deployed to your application", the same page: string pattern and
    enum, number minimum and maximum, and the same for the elements of arrays)."""
    flags: dict[str, Any] = {}
    for key, flag in (document.get("flags") or {}).items():
        attributes = flag.get("attributes") or {}
        constrained = {n: a["constraints"] for n, a in attributes.items() if "constraints" in a}
        flags[key] = {
            "properties": {name: _constraint(c) for name, c in constrained.items()},
            "required": sorted(n for n, c in constrained.items() if c.get("required")),
        }
    return {"properties": {"values": {"properties": flags}}}


def _constraint(constraints: dict[str, Any]) -> dict[str, Any]:
    kind = constraints["type"]
    if kind == "array":
        elements = constraints.get("elements")
        return {"type": "array", **({"items": _constraint(elements)} if elements else {})}
    keywords = ("minimum", "maximum") if kind == "number" else ("pattern", "enum")
    return {"type": kind, **{k: constraints[k] for k in keywords if k in constraints}}


def retrieval_form(content: bytes) -> bytes:
    """The flags as GetLatestConfiguration returns them: ``enabled``, and the attributes of enabled flags."""
    document = check(content)
    values: dict[str, dict[str, Any]] = document.get("values") or {}
    served: dict[str, dict[str, Any]] = {}
    for key in document.get("flags") or {}:
        value = values.get(key) or {}
        # A flag without a value is off: "mapped values of true or false" leaves no third state.
        flag: dict[str, Any] = {"enabled": bool(value.get("enabled", False))}
        if flag["enabled"]:
            flag.update((k, v) for k, v in value.items() if k != "enabled" and not k.startswith("_"))
        served[key] = flag
    return json.dumps(served, separators=(",", ":")).encode()


__all__ = ["CONTENT_TYPE", "SCHEMA", "TYPE", "check", "retrieval_form"]
