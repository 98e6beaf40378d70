"""The local cloud's IAM evaluation against AWS's documented rules, one test per rule.

Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
(and its pages "How AWS enforcement code logic evaluates requests", "Policy evaluation for
requests within a single account"); Action, Resource, NotAction, NotResource and Condition
elements and condition operators: the IAM JSON policy element reference pages.
"""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.iam import sar
from localcloud.iam.conditions import PolicyError, context_of, holds
from localcloud.iam.evaluation import Principal, Request, evaluate
from localcloud.iam.matching import arn_matches

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/deploy"
SESSION = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/fn", "role-session", ACCOUNT, ROLE)
ROOT = Principal(f"arn:aws:iam::{ACCOUNT}:root", "root", ACCOUNT)
OBJECT = "arn:aws:s3:::bucket-1/feature-file.yml"
APP = f"arn:aws:appconfig:us-east-1:{ACCOUNT}:application/app1234"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(
    action: str = "s3:GetObject", *resources: str, principal: Principal = SESSION, **context: Any
) -> Request:
    return Request(principal, action, resources or (OBJECT,), context_of(context))


# ---------------------------------------------------------------- the decision
def test_every_request_is_implicitly_denied_by_default() -> None:
    """ "By default, all requests are implicitly denied" (evaluation logic, deny evaluation)."""
    decision = evaluate(request(), [])
    assert not decision.allowed
    assert not decision.explicit
    assert decision.message(request()).endswith(
        "because no identity-based policy allows the s3:GetObject action"
    )


def test_the_root_user_has_full_access() -> None:
    """ "... with the exception of the AWS account root user, which has full access"."""
    assert evaluate(request(principal=ROOT), []).allowed


def test_an_explicit_allow_overrides_the_default() -> None:
    assert evaluate(request(), [policy(allow("s3:GetObject", OBJECT))]).allowed


def test_an_explicit_deny_overrides_any_allow() -> None:
    """ "An explicit deny in any of the policies overrides the allow" - in another policy too."""
    decision = evaluate(request(), [policy(allow("s3:*")), policy(deny("s3:GetObject", OBJECT))])
    assert not decision.allowed
    assert decision.explicit
    assert decision.message(request()).endswith("with an explicit deny in an identity-based policy")


def test_a_deny_in_the_resource_policy_overrides_an_identity_allow_even_for_root() -> None:
    bucket_policy = policy({**deny("s3:*", OBJECT), "Principal": "*"})
    assert not evaluate(request(), [policy(allow("s3:*"))], bucket_policy).allowed
    assert not evaluate(request(principal=ROOT), [], bucket_policy).allowed


def test_within_one_account_an_allow_in_the_resource_policy_alone_is_enough() -> None:
    """ "If either the identity-based policy or the resource-based policy within the same account
    allows the request and the other doesn't, the request is still allowed.\""""
    for named in (ROLE, SESSION.arn):
        bucket_policy = policy({**allow("s3:GetObject", OBJECT), "Principal": {"AWS": named}})
        assert evaluate(request(), [], bucket_policy).allowed


def test_an_account_principal_in_the_resource_policy_grants_nothing_by_itself() -> None:
    bucket_policy = policy(
        {**allow("s3:GetObject", OBJECT), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    )
    assert not evaluate(request(), [], bucket_policy).allowed


def test_an_action_on_several_resources_needs_an_allow_for_each() -> None:
    """The SAR's required resource types: StartDeployment is authorised on all four of them."""
    arns = sar.resources_for(
        "appconfig:StartDeployment",
        {"ApplicationId": "app1234", "EnvironmentId": "env1234", "ConfigurationProfileId": "prf1234",
         "DeploymentStrategyId": "str1234"},
        partition="aws", region="us-east-1", account=ACCOUNT,
    )  # fmt: skip
    without_application = [a for a in arns if not a.endswith("application/app1234")]
    req = request("appconfig:StartDeployment", *arns)
    assert evaluate(req, [policy(allow("appconfig:StartDeployment", list(arns)))]).allowed
    decision = evaluate(req, [policy(allow("appconfig:StartDeployment", without_application))])
    assert not decision.allowed
    assert decision.resource == APP


# ---------------------------------------------------------------- Action and Resource
@pytest.mark.parametrize(
    ("pattern", "matches"),
    [("s3:*", True), ("s3:Get*", True), ("S3:getobject", True), ("s3:GetObjec?", True), ("*", True),
     ("s3:Put*", False), ("s3:GetObject?", False), ("appconfig:*", False)],
)  # fmt: skip
def test_action_wildcards_and_case(pattern: str, matches: bool) -> None:
    assert evaluate(request(), [policy(allow(pattern))]).allowed is matches


def test_not_action_applies_to_every_other_action() -> None:
    statement = {"Effect": "Allow", "NotAction": "s3:PutObject", "Resource": "*"}
    assert evaluate(request(), [policy(statement)]).allowed
    assert not evaluate(request("s3:PutObject"), [policy(statement)]).allowed


def test_not_resource_applies_to_every_other_resource() -> None:
    statement = {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::bucket-1/*"}
    assert evaluate(request(), [policy(allow("s3:*"), statement)]).allowed
    other = request("s3:GetObject", "arn:aws:s3:::other/key")
    assert evaluate(other, [policy(allow("s3:*"), statement)]).explicit


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        ("arn:aws:s3:::bucket-1/*", OBJECT, True),
        ("arn:aws:s3:::bucket-?/feature-file.yml", OBJECT, True),
        ("arn:aws:s3:::bucket-1", OBJECT, False),
        (f"arn:aws:appconfig:*:{ACCOUNT}:application/app1234", APP, True),
        (f"arn:aws:appconfig:us-west-2:{ACCOUNT}:application/app1234", APP, False),  # Region segment
        ("arn:aws:appconfig:us-east-1:111122223333:application/app1234", APP, False),  # account segment
        ("arn:aws-cn:appconfig:us-east-1:123456789012:application/app1234", APP, False),  # partition
        ("arn:aws:appconfig:us-*-1:123456789012:application/*", APP, True),
        # A * inside a segment stays in it; the last character of a segment may expand past colons.
        (
            "arn:aws:lambda:us-east-1:123456789012:function:*",
            "arn:aws:lambda:us-east-1:123456789012:function:f:live",
            True,
        ),
        (
            "arn:aws:lambda:us-east-1:123456789012:func*n:f",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            True,
        ),
        (
            "arn:aws:lambda:us-*-1:123456789012:function:f",
            "arn:aws:lambda:us-east:x-1:123456789012:function:f",
            False,
        ),
    ],
)
def test_arn_patterns_match_segment_by_segment(pattern: str, arn: str, matches: bool) -> None:
    assert arn_matches(pattern, arn) is matches


# ---------------------------------------------------------------- the Service Authorization Reference
def test_required_resource_types_come_from_the_dataset() -> None:
    required = {t.name for t in sar.resource_types("appconfig:GetDeployment") if t.required}
    assert required == {"application", "environment", "deployment"}
    assert {t.name for t in sar.resource_types("appconfig:ListDeployments") if t.required} == {
        "application", "environment",
    }  # fmt: skip
    with pytest.raises(sar.UnmodelledRequest, match="deployment"):
        sar.resources_for(
            "appconfig:GetDeployment", {"ApplicationId": "a", "EnvironmentId": "e"},
            partition="aws", region="us-east-1", account=ACCOUNT,
        )  # fmt: skip


def test_arns_are_built_in_each_services_own_format() -> None:
    where = {"partition": "aws", "region": "us-east-1", "account": ACCOUNT}
    assert sar.resources_for("s3:GetObject", {"BucketName": "b", "ObjectName": "k/x.yml"}, **where) == (
        "arn:aws:s3:::b/k/x.yml",
    )
    assert sar.resources_for("cloudwatch:DescribeAlarms", {"AlarmName": ["a", "b"]}, **where) == (
        f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:a",
        f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:b",
    )
    assert sar.resources_for("s3:ListAllMyBuckets", {}, **where) == ("*",)
    with pytest.raises(sar.UnknownAction):
        sar.canonical("s3:GetObjects")


# ---------------------------------------------------------------- Condition
def ctx(**values: Any) -> dict[str, list[str]]:
    return context_of({k.replace("__", ":"): v for k, v in values.items()})


def test_a_condition_on_a_key_the_request_lacks_is_false_and_a_negated_one_true() -> None:
    """ "If the key ... is not present in the request context, the values do not match and the
    condition is false. If the policy condition requires that the key is not matched, such as
    StringNotLike or ArnNotLike, and the right key is not present, the condition is true.\""""
    assert not holds({"StringEquals": {"s3:prefix": "feature-file.yml"}}, ctx())
    assert holds({"StringNotLike": {"s3:prefix": "secret*"}}, ctx())
    assert holds({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::x"}}, ctx())


def test_if_exists_holds_when_the_key_is_absent_and_checks_it_when_present() -> None:
    block = {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}
    assert holds(block, ctx())
    assert holds(block, ctx(aws__SourceAccount=ACCOUNT))
    assert not holds(block, ctx(aws__SourceAccount="111122223333"))


def test_null_tests_presence() -> None:
    assert holds({"Null": {"aws:SourceArn": "true"}}, ctx())
    assert not holds({"Null": {"aws:SourceArn": "false"}}, ctx())
    assert holds({"Null": {"aws:SourceArn": "false"}}, ctx(aws__SourceArn="arn:aws:s3:::b"))


def test_values_of_one_key_are_alternatives_and_keys_and_operators_must_all_hold() -> None:
    assert holds(
        {"StringEquals": {"s3:prefix": ["a", "feature-file.yml"]}}, ctx(s3__prefix="feature-file.yml")
    )
    both = {"StringEquals": {"s3:prefix": "p", "s3:delimiter": "/"}, "Bool": {"aws:SecureTransport": "true"}}
    assert not holds(both, ctx(s3__prefix="p", s3__delimiter="/", aws__SecureTransport=False))
    assert holds(both, ctx(s3__prefix="p", s3__delimiter="/", aws__SecureTransport=True))


def test_a_negated_operator_holds_only_when_no_value_matches() -> None:
    assert not holds({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, ctx(s3__prefix="b"))
    assert holds({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, ctx(s3__prefix="c"))


def test_key_names_are_case_insensitive_and_values_are_not() -> None:
    assert holds({"StringEquals": {"AWS:SOURCEACCOUNT": ACCOUNT}}, ctx(aws__SourceAccount=ACCOUNT))
    assert not holds({"StringEquals": {"s3:prefix": "Feature-File.yml"}}, ctx(s3__prefix="feature-file.yml"))
    assert holds(
        {"StringEqualsIgnoreCase": {"s3:prefix": "Feature-File.yml"}}, ctx(s3__prefix="feature-file.yml")
    )


@pytest.mark.parametrize(
    ("block", "value", "result"),
    [
        ({"StringLike": {"s3:prefix": "team-?/*"}}, "team-a/feature-file.yml", True),
        ({"StringLike": {"s3:prefix": "team-?/*"}}, "team-ab/feature-file.yml", False),
        ({"ArnLike": {"s3:prefix": "arn:aws:s3:::bucket-*"}}, "arn:aws:s3:::bucket-1", True),
        ({"NumericLessThanEquals": {"s3:prefix": "10"}}, "9.5", True),
        ({"NumericLessThanEquals": {"s3:prefix": "10"}}, "not a number", False),
        ({"DateGreaterThan": {"s3:prefix": "2026-01-01T00:00:00Z"}}, "2026-06-01T00:00:00Z", True),
        ({"IpAddress": {"s3:prefix": "127.0.0.0/8"}}, "127.0.0.1", True),
        ({"NotIpAddress": {"s3:prefix": "127.0.0.0/8"}}, "10.0.0.1", True),
    ],
)
def test_operators(block: dict[str, Any], value: str, result: bool) -> None:
    assert holds(block, ctx(s3__prefix=value)) is result


def test_set_operators_on_multivalued_keys() -> None:
    """ForAllValues holds when every request value matches (vacuously for none); ForAnyValue
    when at least one does (never for none)."""
    tags = {"aws:TagKeys": ["team", "cost"]}
    assert holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost", "env"]}}, context_of(tags))
    assert not holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, context_of(tags))
    assert holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, ctx())
    assert holds({"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}, context_of(tags))
    assert not holds({"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}, ctx())


def test_an_unknown_operator_is_a_malformed_policy() -> None:
    with pytest.raises(PolicyError):
        holds({"StringEqualz": {"s3:prefix": "x"}}, ctx())


def test_a_trust_policy_condition_on_a_key_the_service_does_not_send_is_not_met() -> None:
    """Why the template's trust policies carry no aws:SourceAccount: AppConfig documents none."""
    appconfig = Principal("appconfig.amazonaws.com", "service")
    trust = policy(
        {"Effect": "Allow", "Principal": {"Service": "appconfig.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    guarded = policy({**trust["Statement"][0], "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})
    assume = Request(
        appconfig, "sts:AssumeRole", (ROLE,), context_of({"aws:PrincipalServiceName": appconfig.arn})
    )
    assert evaluate(assume, [], trust).allowed
    assert not evaluate(assume, [], guarded).allowed
    other = Request(Principal("lambda.amazonaws.com", "service"), "sts:AssumeRole", (ROLE,))
    assert not evaluate(other, [], trust).allowed
