"""AWS.AppConfig.FeatureFlags profiles through boto3: what the hosted store keeps, what it refuses, and
what clients get back.

TYPE_PAGE holds AWS's published schema of the stored document and of the retrieval-time form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from tests.integration.appconfig_service.conftest import modelled

if TYPE_CHECKING:
    from mypy_boto3_appconfig.type_defs import HostedConfigurationVersionTypeDef

    from tests.integration.appconfig_service.conftest import World

pytestmark = pytest.mark.integration

TYPE_PAGE = (
    "https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-type-reference-feature-flags.html"
)
RETRIEVAL_SCHEMA = json.loads((Path(__file__).with_name("feature-flags-retrieval.schema.json")).read_text())

FLAGS: dict[str, Any] = {
    "version": "1",
    "flags": {
        "checkout": {
            "name": "New checkout",
            "attributes": {
                "limit": {"constraints": {"type": "number", "maximum": 100}},
                "providers": {"constraints": {"type": "array", "elements": {"type": "string"}}},
            },
        },
        "dark-mode": {"name": "Dark mode", "attributes": {"theme": {"constraints": {"type": "string"}}}},
        "beta": {"name": "Beta programme", "_deprecation": {"status": "planned", "date": "2030-01-31"}},
    },
    "values": {
        "checkout": {"enabled": True, "limit": 25, "providers": ["card", "invoice"], "_updatedAt": "now"},
        "dark-mode": {"enabled": False, "theme": "night"},
    },
}


def flag_profile(world: World, name: str = "flags") -> str:
    profile = world.appconfig.create_configuration_profile(
        ApplicationId=world.app_id, Name=name, LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )
    return str(profile["Id"])


def store(world: World, profile_id: str, document: Any) -> HostedConfigurationVersionTypeDef:
    return world.hosted_version(
        profile_id, document if isinstance(document, bytes) else json.dumps(document).encode()
    )


def test_clients_get_the_retrieval_form(world: World) -> None:
    """TYPE_PAGE: GetLatestConfiguration returns "a map of keys that match each of the flag keys", each with
    ``enabled``, and "If a flag sets enabled to true, any attributes of the flag will be present as well"."""
    profile_id = flag_profile(world)
    store(world, profile_id, FLAGS)
    world.start("1", ConfigurationProfileId=profile_id)
    body, _, response = world.poll(world.session(profile_id))
    served = json.loads(body)
    assert served == {
        "checkout": {"enabled": True, "limit": 25, "providers": ["card", "invoice"]},
        "dark-mode": {"enabled": False},
        "beta": {"enabled": False},
    }
    jsonschema.Draft7Validator(RETRIEVAL_SCHEMA).validate(served)
    assert response["ContentType"] == "application/json"


def test_the_hosted_store_keeps_the_document_as_written(world: World) -> None:
    """TYPE_PAGE: the definitions are removed only on the way to clients; the stored version keeps them."""
    profile_id = flag_profile(world)
    content = json.dumps(FLAGS, indent=2).encode()
    store(world, profile_id, content)
    world.start("1", ConfigurationProfileId=profile_id)
    kept = world.appconfig.get_hosted_configuration_version(
        ApplicationId=world.app_id, ConfigurationProfileId=profile_id, VersionNumber=1
    )
    assert kept["Content"].read() == content


def test_freeform_hosted_content_is_served_as_written(world: World) -> None:
    """Only feature-flag profiles are transformed: a freeform profile's flags document is just bytes."""
    profile = world.appconfig.create_configuration_profile(
        ApplicationId=world.app_id, Name="freeform", LocationUri="hosted"
    )
    content = json.dumps(FLAGS).encode()
    store(world, profile["Id"], content)
    world.start("1", ConfigurationProfileId=profile["Id"])
    assert world.poll(world.session(profile["Id"]))[0] == content


@pytest.mark.parametrize(
    ("document", "location", "constraint"),
    [
        ({"flags": {}}, "$", "required"),  # version is required
        ({"version": "2"}, "$.version", "enum"),  # flagSchemaVersions: only "1"
        ({"version": "1", "flags": {"Checkout": {}}}, "$.flags", "additionalProperties"),  # key pattern
        ({"version": "1", "flags": {"a": {"colour": "red"}}}, "$.flags.a", "additionalProperties"),
        ({"version": "1", "values": {"a": {"enabled": "yes"}}}, "$.values.a.enabled", "type"),
        ({"version": "1", "values": {"a": {"enabled": True, "n": {"x": 1}}}}, "$.values.a.n", "oneOf"),
        ({"version": "1", "values": {"a": {"s": "x" * 1025}}}, "$.values.a.s", "oneOf"),  # 1024 chars
        (
            {"version": "1", "flags": {"a": {"attributes": {f"k{n}": {} for n in range(26)}}}},
            "$.flags.a.attributes",
            "maxProperties",  # 25 attributes
        ),
        (
            {"version": "1", "flags": {"a": {"_deprecation": {"status": "planned", "date": "2030-02-30"}}}},
            "$.flags.a._deprecation.date",
            "format",
        ),
        (
            {
                "version": "1",
                "flags": {
                    "a": {
                        "attributes": {"s": {"constraints": {"type": "string", "enum": [], "pattern": "x"}}}
                    }
                },
            },
            "$.flags.a.attributes.s.constraints",
            "oneOf",  # stringConstraints: pattern and enum are exclusive
        ),
    ],
)
def test_content_outside_aws_schema_is_refused_and_nothing_is_stored(
    world: World, document: dict[str, Any], location: str, constraint: str
) -> None:
    """TYPE_PAGE's schema; CreateHostedConfigurationVersion answers BadRequestException with
    ``Reason: InvalidConfiguration`` and ``Details.InvalidConfiguration`` (its modelled BadRequestDetails)."""
    profile_id = flag_profile(world)
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as refused:
        store(world, profile_id, document)
    response = modelled(refused.value)
    assert response["Reason"] == "InvalidConfiguration"
    problems = response["Details"]["InvalidConfiguration"]
    assert {(p["Location"], p["Constraint"]) for p in problems} >= {(location, constraint)}
    assert all(p["Reason"] for p in problems)
    listed = world.appconfig.list_hosted_configuration_versions(
        ApplicationId=world.app_id, ConfigurationProfileId=profile_id
    )
    assert listed["Items"] == []


ATTRIBUTES_PAGE = "https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-feature-flags.html"


def flag(constraints: dict[str, Any], value: Any) -> dict[str, Any]:
    return {
        "version": "1",
        "flags": {"f": {"attributes": {"a": {"constraints": constraints}}}},
        "values": {"f": {"enabled": True, "a": value}},
    }


@pytest.mark.parametrize(
    ("document", "location", "constraint"),
    [
        (flag({"type": "number", "maximum": 10}, 11), "$.values.f.a", "maximum"),
        (flag({"type": "number", "minimum": 1}, 0), "$.values.f.a", "minimum"),
        (flag({"type": "number"}, "10"), "$.values.f.a", "type"),
        (flag({"type": "string", "pattern": "^[A-Z]{2}$"}, "usa"), "$.values.f.a", "pattern"),
        (flag({"type": "string", "enum": ["card", "invoice"]}, "cash"), "$.values.f.a", "enum"),
        (flag({"type": "boolean"}, "true"), "$.values.f.a", "type"),
        (
            flag({"type": "array", "elements": {"type": "number", "minimum": 0}}, [1, -1]),
            "$.values.f.a[1]",
            "minimum",
        ),
        (
            {
                "version": "1",
                "flags": {"f": {"attributes": {"a": {"constraints": {"type": "string", "required": True}}}}},
                "values": {"f": {"enabled": False}},
            },
            "$.values.f",
            "required",
        ),
        (
            {"version": "1", "flags": {"f": {"attributes": {"enabled": {}}}}},
            "$.flags.f.attributes.enabled",
            "reserved",
        ),
    ],
)
def test_values_outside_their_attribute_constraints_are_refused(
    world: World, document: dict[str, Any], location: str, constraint: str
) -> None:
    """ATTRIBUTES_PAGE: "Constraints ensure that no unexpected attribute values are deployed to your
    application" (string: pattern, enum; number: minimum, maximum; arrays: the same for their elements);
    "the word "enabled" is reserved" for attribute names."""
    profile_id = flag_profile(world)
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as refused:
        store(world, profile_id, document)
    problems = modelled(refused.value)["Details"]["InvalidConfiguration"]
    assert [(p["Location"], p["Constraint"]) for p in problems] == [(location, constraint)]


def test_content_that_is_not_json_is_malformed(world: World) -> None:
    """The refusal AWS gives non-JSON feature-flag content names the helper extension and says "Malformed
    'Content' provided" (https://github.com/aws/aws-sdk-java-v2/issues/5465)."""
    profile_id = flag_profile(world)
    with pytest.raises(world.appconfig.exceptions.BadRequestException) as refused:
        store(world, profile_id, b"checkout: {enabled: true}")
    assert "Malformed 'Content' provided" in refused.value.response["Error"]["Message"]
    assert modelled(refused.value)["Reason"] == "InvalidConfiguration"
