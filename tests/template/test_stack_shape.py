"""The template after the SAM transform, as CloudFormation creates it: order, names, types."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from localcloud.cfn import names
from localcloud.cfn.language_extensions import expand
from localcloud.cfn.order import created_before, creation_order, dependency_graph
from localcloud.cfn.resources import Creators, Place, Records
from localcloud.cfn.transform import Transformed
from localcloud.template import PSEUDO, Resolver, load
from tests.template.conftest import LONGEST_STACK_NAME, ROOT, transform

pytestmark = pytest.mark.template

assert len(LONGEST_STACK_NAME) == 128
assert names.STACK_NAME.fullmatch(LONGEST_STACK_NAME)


def test_the_configuration_profile_is_created_only_after_the_bucket_exists() -> None:
    """AppConfig checks the S3 location when it creates the profile (issue 10, item 5)."""
    template = transform()
    assert created_before(template, "ConfigBucket", "Profilefeaturefileyml")
    order = creation_order(template, template["Resources"])
    assert order.index("ConfigBucket") < order.index("Profilefeaturefileyml")
    assert order.index("RetrievalRole") < order.index("Profilefeaturefileyml")


def test_the_bucket_refers_to_nothing() -> None:
    """So everything can !Ref it: the circular-dependency trap of S3 -> Lambda notifications is gone."""
    graph = dependency_graph(transform())
    assert list(graph.successors("ConfigBucket")) == []


def test_the_order_check_fails_for_a_profile_that_only_names_the_bucket() -> None:
    """The profile waits through its location and through its retrieval role's policy; a
    profile with neither (as with the names derived by hand this template used to have) would not."""
    source = expand(load(ROOT / "template.yaml"), {}, region="us-east-1")
    profile = source["Resources"]["Profilefeaturefileyml"]["Properties"]
    profile["LocationUri"] = "s3://a-bucket-named-by-hand/feature-file.yml"
    profile["RetrievalRoleArn"] = "arn:aws:iam::123456789012:role/named-by-hand"
    # Its validator's variables name the bucket too (the object it leaves refusal reports for).
    validator = source["Resources"]["ValidatorFunction"]["Properties"]
    validator["Environment"]["Variables"]["CONFIG_BUCKET"] = "a-bucket-named-by-hand"
    validator["Policies"] = []
    assert not created_before(transform(source), "ConfigBucket", "Profilefeaturefileyml")


@pytest.mark.parametrize(
    "kms", ["", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
)
def test_the_local_cloud_creates_every_resource_type_the_stack_has(kms: str) -> None:
    template = transform(KmsKeyArn=kms)
    creators = Creators(
        Place("s", "us-east-1", "123456789012"), lambda _: None, Transformed(template, {}), Records()
    )
    assert {r["Type"] for r in template["Resources"].values()} <= set(creators.supported)


def _explicit_names(template: dict[str, Any], stack_name: str) -> dict[str, tuple[str, str]]:
    """Logical ID -> (type, name) for every resource whose template gives its name."""
    stack_id = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{stack_name}/{uuid.uuid4()}"
    resolver = Resolver(template, {}, {**PSEUDO, "AWS::StackName": stack_name, "AWS::StackId": stack_id})
    found = {}
    for logical_id, resource in template["Resources"].items():
        rule = names.RULES.get(resource["Type"])
        value = resource.get("Properties", {}).get(rule.property) if rule else None
        if rule and value is not None:
            found[logical_id] = (resource["Type"], str(resolver.resolve(value)))
    return found


@pytest.mark.parametrize("stack_name", ["a", "config-rollout", LONGEST_STACK_NAME])
def test_every_name_fits_its_service_for_any_valid_stack_name(stack_name: str) -> None:
    explicit = _explicit_names(transform(stack_name=stack_name), stack_name)
    # The functions, the strategy and the log groups are named by the template itself.
    assert {
        "FlagsApiFunctionproduction",
        "OrderWorkerFunctionproduction",
        "CustomDeploymentStrategy",
        "DeployFunctionLogGroup",
    } <= set(explicit)
    for logical_id, (resource_type, name) in explicit.items():
        names.check(resource_type, logical_id, name)


def test_a_name_built_from_the_stack_name_breaks_the_limit_at_the_longest_stack_name() -> None:
    """The check above can fail: the names this template had before (stack name + suffix)."""
    source = copy.deepcopy(expand(load(ROOT / "template.yaml"), {}, region="us-east-1"))
    source["Resources"]["FlagsApiFunctionproduction"]["Properties"]["FunctionName"] = {
        "Fn::Sub": "${AWS::StackName}-flags-api"
    }
    explicit = _explicit_names(transform(source, stack_name=LONGEST_STACK_NAME), LONGEST_STACK_NAME)
    resource_type, name = explicit["FlagsApiFunctionproduction"]
    with pytest.raises(names.NameError_, match="138 characters; AWS::Lambda::Function allows 64"):
        names.check(resource_type, "FlagsApiFunctionproduction", name)


def test_generated_names_fit_and_look_like_cloudformations() -> None:
    for resource_type in names.GENERATED:
        name = names.generated(resource_type, LONGEST_STACK_NAME, "ALogicalIdThatIsQuiteLongIndeed")
        names.check(resource_type, "X", name)
        assert name.lower().startswith(LONGEST_STACK_NAME[:10])
    bucket = names.generated("AWS::S3::Bucket", "Config-Rollout", "ConfigBucket")
    assert bucket.startswith("config-rollout-configbucket-")
    assert bucket == bucket.lower()
