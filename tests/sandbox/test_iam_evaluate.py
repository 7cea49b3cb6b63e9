"""The sandbox's IAM evaluator, driven directly: no sandbox server, no moto.

Each test builds policies in AWS's JSON shape, asks for one decision and checks the outcome, the
statements it names and, for denials, AWS's wording.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from sandbox.iam.evaluate import describe, evaluate, parse_policy
from sandbox.iam.keys import is_known
from sandbox.iam.model import Authorization, Decision, NamedPolicy, Outcome, Principal, StatementRef

DEV = "222222222222"
TOOLING = "111111111111"
ROLE = f"arn:aws:iam::{DEV}:role/ci/churn-dev-codebuild"  # with a path: aws:PrincipalArn keeps it
SESSION = f"arn:aws:sts::{DEV}:assumed-role/churn-dev-codebuild/b1"
CALLER = Principal(DEV, SESSION, ROLE)
MODEL = f"arn:aws:sagemaker:us-east-1:{DEV}:model/x"
KEY = f"arn:aws:kms:us-east-1:{DEV}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALLOWED, IMPLICIT, NO_RESOURCE = Outcome.ALLOWED, Outcome.IMPLICIT_DENY, Outcome.NO_RESOURCE_POLICY_ALLOWS
DENY_ID, DENY_RES, UNSUPPORTED = Outcome.EXPLICIT_DENY_IDENTITY, Outcome.EXPLICIT_DENY_RESOURCE, Outcome.UNSUPPORTED


def stmt(effect: str = "Allow", action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, **extra}
    if action is not None:
        statement["Action"] = action
    if resource is not None:
        statement["Resource"] = resource
    return statement


def policy(*statements: Mapping[str, Any], name: str = "inline:test", version: str = "2012-10-17") -> NamedPolicy:
    return NamedPolicy(name, {"Version": version, "Statement": list(statements)})


def decide(
    identity: Sequence[NamedPolicy] = (),
    resource: NamedPolicy | None = None,
    *,
    principal: Principal = CALLER,
    action: str = "sagemaker:CreateModel",
    arn: str = MODEL,
    account: str = DEV,
    context: Mapping[str, Sequence[str]] | None = None,
    required: bool = False,
) -> Decision:
    return evaluate(
        principal,
        Authorization(action, arn, account),
        identity_policies=identity,
        resource_policy=resource,
        context=context or {},
        resource_policy_required=required,
    )


def allow_all() -> NamedPolicy:
    return policy(stmt(Sid="All"), name="inline:all")


# --- the basic decisions --------------------------------------------------------------------------


def test_identity_allow_names_its_statement() -> None:
    decision = decide([policy(stmt(action="sagemaker:CreateModel", resource=MODEL, Sid="Models"))])
    assert decision.outcome is ALLOWED
    assert decision.allowed_by == (StatementRef("inline:test", "Models"),)
    assert decision.denied_by == ()


def test_no_policy_is_an_implicit_deny() -> None:
    decision = decide([policy(stmt(action="sagemaker:DescribeModel"))])
    assert decision.outcome is IMPLICIT
    assert decision.allowed_by == ()


def test_explicit_deny_in_identity_policy_wins_over_allows_on_both_sides() -> None:
    resource = policy(stmt(Principal={"AWS": ROLE}, resource=None), name="resource")
    decision = decide([allow_all(), policy(stmt("Deny", action="sagemaker:Create*"), name="guard")], resource)
    assert decision.outcome is DENY_ID
    assert decision.denied_by == (StatementRef("guard", "#0"),)
    assert StatementRef("inline:all", "All") in decision.allowed_by


def test_explicit_deny_in_resource_policy_wins_over_identity_allow() -> None:
    resource = policy(stmt("Deny", Principal="*", resource=None, Sid="NoOne"), name="bucket")
    decision = decide([allow_all()], resource)
    assert decision.outcome is DENY_RES
    assert decision.denied_by == (StatementRef("bucket", "NoOne"),)


@pytest.mark.parametrize(
    ("identity_allows", "resource_principal", "expected"),
    [
        (True, {"AWS": ROLE}, ALLOWED),
        (True, {"AWS": DEV}, ALLOWED),  # the account counts as allowing its principals
        (True, {"AWS": f"arn:aws:iam::{DEV}:root"}, ALLOWED),
        (False, {"AWS": ROLE}, IMPLICIT),
        (True, None, NO_RESOURCE),
        (True, {"AWS": "arn:aws:iam::333333333333:root"}, NO_RESOURCE),
        (False, None, IMPLICIT),
    ],
)
def test_cross_account_needs_both_sides(
    identity_allows: bool, resource_principal: dict[str, str] | None, expected: Outcome
) -> None:
    identity = [allow_all()] if identity_allows else []
    resource = policy(stmt(Principal=resource_principal, resource=None)) if resource_principal else None
    arn = f"arn:aws:sagemaker:us-east-1:{TOOLING}:model-package-group/churn"
    decision = decide(identity, resource, arn=arn, account=TOOLING, action="sagemaker:DescribeModelPackageGroup")
    assert decision.outcome is expected


def test_cross_account_allowed_by_lists_both_sides() -> None:
    resource = policy(stmt(Principal={"AWS": DEV}, resource=None, Sid="Dev"), name="group-policy")
    decision = decide([allow_all()], resource, account=TOOLING)
    assert decision.allowed_by == (StatementRef("inline:all", "All"), StatementRef("group-policy", "Dev"))


@pytest.mark.parametrize(
    ("principal", "identity_allows", "expected"),
    [
        ({"AWS": ROLE}, False, ALLOWED),  # the role, with its path
        ({"AWS": SESSION}, False, ALLOWED),
        ("*", False, ALLOWED),
        ({"AWS": "*"}, False, ALLOWED),
        ({"AWS": f"arn:aws:iam::{DEV}:role/churn-dev-codebuild"}, False, IMPLICIT),  # path missing
        ({"AWS": f"arn:aws:iam::{DEV}:role/ci/other"}, False, IMPLICIT),
        ({"AWS": DEV}, False, IMPLICIT),  # the account delegates to IAM
        ({"AWS": f"arn:aws:iam::{DEV}:root"}, False, IMPLICIT),
        ({"AWS": f"arn:aws:iam::{DEV}:root"}, True, ALLOWED),
        ({"Federated": "cognito-identity.amazonaws.com"}, False, IMPLICIT),
        ({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, False, IMPLICIT),
    ],
)
def test_same_account_resource_policy(principal: Any, identity_allows: bool, expected: Outcome) -> None:
    identity = [allow_all()] if identity_allows else []
    assert decide(identity, policy(stmt(Principal=principal, resource=None))).outcome is expected


def test_iam_user_named_by_a_resource_policy() -> None:
    user = Principal(DEV, f"arn:aws:iam::{DEV}:user/ana", f"arn:aws:iam::{DEV}:user/ana")
    resource = policy(stmt(Principal={"AWS": [f"arn:aws:iam::{DEV}:user/ana"]}, resource=None))
    assert decide([], resource, principal=user).outcome is ALLOWED
    assert decide([], resource).outcome is IMPLICIT


@pytest.mark.parametrize(
    ("key_principal", "identity_allows", "expected"),
    [
        (None, True, NO_RESOURCE),  # no key policy: nothing allows
        ({"AWS": f"arn:aws:iam::{DEV}:root"}, True, ALLOWED),  # root delegates, IAM allows
        ({"AWS": f"arn:aws:iam::{DEV}:root"}, False, IMPLICIT),  # root delegates, IAM does not
        ({"AWS": ROLE}, False, ALLOWED),  # the key policy names the role
        ({"AWS": f"arn:aws:iam::{DEV}:role/other"}, True, NO_RESOURCE),
    ],
)
def test_kms_key_policy_is_required(key_principal: Any, identity_allows: bool, expected: Outcome) -> None:
    identity = [allow_all()] if identity_allows else []
    key_policy = policy(stmt(Principal=key_principal, action="kms:*")) if key_principal else None
    decision = decide(identity, key_policy, action="kms:Decrypt", arn=KEY, required=True)
    assert decision.outcome is expected


@pytest.mark.parametrize(
    ("service", "expected"),
    [("codepipeline.amazonaws.com", ALLOWED), ("events.amazonaws.com", ALLOWED), ("ec2.amazonaws.com", NO_RESOURCE)],
)
def test_trust_policy_names_services(service: str, expected: Outcome) -> None:
    trust = policy(
        stmt(
            action="sts:AssumeRole",
            resource=None,
            Principal={"Service": ["codepipeline.amazonaws.com", "events.amazonaws.com"]},
        )
    )
    caller = Principal("", "", "", service=service)
    decision = decide([], trust, principal=caller, action="sts:AssumeRole", arn=ROLE, required=True)
    assert decision.outcome is expected


def test_service_principal_with_source_conditions() -> None:
    topic = f"arn:aws:sns:us-east-1:{DEV}:alerts"
    rule = f"arn:aws:events:us-east-1:{DEV}:rule/churn-drift"
    topic_policy = policy(
        stmt(
            action="sns:Publish",
            resource=topic,
            Principal={"Service": "events.amazonaws.com"},
            Condition={"ArnEquals": {"aws:SourceArn": rule}, "StringEquals": {"aws:SourceAccount": DEV}},
        )
    )
    events = Principal("", "", "", service="events.amazonaws.com")
    ok = {"aws:sourcearn": [rule], "aws:sourceaccount": [DEV]}
    other = {"aws:sourcearn": [rule.replace("churn-drift", "other")], "aws:sourceaccount": [DEV]}
    assert decide([], topic_policy, principal=events, action="sns:Publish", arn=topic, context=ok).allowed
    assert decide([], topic_policy, principal=events, action="sns:Publish", arn=topic, context=other).outcome is (
        NO_RESOURCE
    )


def test_root_user_named_by_its_account() -> None:
    root = Principal(DEV, f"arn:aws:iam::{DEV}:root", f"arn:aws:iam::{DEV}:root")
    assert decide([], policy(stmt(Principal={"AWS": DEV}, resource=None)), principal=root).outcome is ALLOWED


# --- Action, Resource and their Not* forms ---------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("sagemaker:CreateModel", "sagemaker:CreateModel", True),
        ("SageMaker:createmodel", "sagemaker:CreateModel", True),
        ("sagemaker:Create*", "sagemaker:CreateModel", True),
        ("sagemaker:Describe?odel", "sagemaker:DescribeModel", True),
        ("sagemaker:Describe?odel", "sagemaker:DescribeXXModel", False),
        ("s3:*", "sagemaker:CreateModel", False),
    ],
)
def test_action_matching(pattern: str, action: str, matches: bool) -> None:
    assert decide([policy(stmt(action=pattern))], action=action).allowed is matches


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", True),
        ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/a", False),  # S3 names are case-sensitive
        ("arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file1.txt", True),
        ("arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file10.txt", False),
        ("arn:aws:sagemaker:us-east-1:*:model/Churn-*", f"arn:aws:sagemaker:us-east-1:{DEV}:model/churn-v2", True),
        ("arn:aws:sagemaker:*:111111111111:model/*", MODEL, False),  # the wildcard stays in its segment
        ("*", "*", True),
        ("arn:aws:s3:::bucket", "*", False),  # actions without resource-level permissions need "*"
    ],
)
def test_resource_matching(pattern: str, resource: str, matches: bool) -> None:
    assert decide([policy(stmt(resource=pattern))], arn=resource).allowed is matches


def test_identity_statement_without_resource_does_not_apply() -> None:
    assert decide([policy(stmt(resource=None))]).outcome is IMPLICIT


def test_resource_policy_statement_without_resource_means_the_resource() -> None:
    assert decide([], policy(stmt(Principal={"AWS": ROLE}, resource=None))).outcome is ALLOWED


def test_not_action() -> None:
    everything_but_iam = [policy(stmt(NotAction=["iam:*", "organizations:*"], action=None))]
    assert decide(everything_but_iam, action="sagemaker:CreateModel").allowed
    assert decide(everything_but_iam, action="iam:PassRole").outcome is IMPLICIT


def test_not_resource() -> None:
    only_models = [allow_all(), policy(stmt("Deny", NotResource=f"arn:aws:sagemaker:*:{DEV}:model/*", resource=None))]
    assert decide(only_models, arn=MODEL).allowed
    assert decide(only_models, arn=f"arn:aws:sagemaker:us-east-1:{DEV}:endpoint/x").outcome is DENY_ID


@pytest.mark.parametrize(
    ("not_principal", "expected"),
    [
        ([f"arn:aws:iam::{DEV}:root", ROLE, SESSION], ALLOWED),  # the whole chain is exempt
        ([DEV, ROLE, SESSION], ALLOWED),
        ([ROLE], DENY_RES),  # AWS also checks the account and the session: the Deny applies
        ([f"arn:aws:iam::{DEV}:root"], DENY_RES),
        ([f"arn:aws:iam::{TOOLING}:root", f"arn:aws:iam::{TOOLING}:role/x"], DENY_RES),
    ],
)
def test_not_principal_with_deny(not_principal: list[str], expected: Outcome) -> None:
    resource = policy(stmt("Deny", NotPrincipal={"AWS": not_principal}, resource=None))
    assert decide([allow_all()], resource).outcome is expected


def test_not_principal_with_allow_grants_everyone_else() -> None:
    resource = policy(stmt(NotPrincipal={"AWS": f"arn:aws:iam::{DEV}:role/other"}, resource=None))
    assert decide([], resource).outcome is ALLOWED


# --- condition operators ---------------------------------------------------------------------------

ABSENT = None
CONDITIONS = [
    # (operator, key, policy values, request values or ABSENT, holds)
    ("StringEquals", "aws:SourceAccount", DEV, [DEV], True),
    ("StringEquals", "aws:SourceAccount", DEV, [TOOLING], False),
    ("StringEquals", "aws:SourceAccount", DEV, ABSENT, False),
    ("StringEquals", "aws:SourceAccount", [TOOLING, DEV], [DEV], True),  # values are ORed
    ("StringNotEquals", "aws:SourceAccount", DEV, [TOOLING], True),
    ("StringNotEquals", "aws:SourceAccount", DEV, [DEV], False),
    ("StringNotEquals", "aws:SourceAccount", DEV, ABSENT, True),  # negated on an absent key: true
    ("StringEqualsIgnoreCase", "aws:RequestedRegion", "US-EAST-1", ["us-east-1"], True),
    ("StringEqualsIgnoreCase", "aws:RequestedRegion", "US-EAST-1", ["us-west-2"], False),
    ("StringNotEqualsIgnoreCase", "aws:RequestedRegion", "US-EAST-1", ["us-east-1"], False),
    ("StringNotEqualsIgnoreCase", "aws:RequestedRegion", "US-EAST-1", ["eu-west-1"], True),
    ("StringLike", "s3:prefix", "home/*", ["home/ana/x"], True),
    ("StringLike", "s3:prefix", "dev-?", ["dev-12"], False),
    ("StringLike", "s3:prefix", "a[b]*", ["a[b]c"], True),  # brackets are literal in IAM
    ("StringNotLike", "s3:prefix", "home/*", ["tmp/x"], True),
    ("StringNotLike", "s3:prefix", "home/*", ["home/x"], False),
    ("StringNotLike", "s3:prefix", "home/*", ABSENT, True),
    ("StringEqualsIfExists", "aws:SourceAccount", DEV, ABSENT, True),
    ("StringEqualsIfExists", "aws:SourceAccount", DEV, [TOOLING], False),
    ("StringLikeIfExists", "s3:prefix", "home/*", ["home/x"], True),
    (
        "ArnEquals",
        "aws:SourceArn",
        f"arn:aws:events:us-east-1:{DEV}:rule/r",
        [f"arn:aws:events:us-east-1:{DEV}:rule/r"],
        True,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:events:*:*:rule/churn-*",
        [f"arn:aws:events:us-east-1:{DEV}:rule/churn-a"],
        True,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:events:*:*:rule/churn-*", [f"arn:aws:events:us-east-1:{DEV}:rule/x"], False),
    ("ArnLike", "aws:SourceArn", "arn:aws:events:*", [f"arn:aws:events:us-east-1:{DEV}:rule/x"], False),  # six parts
    ("ArnLike", "aws:SourceArn", "arn:aws:events:*:*:*", ["not-an-arn"], False),
    (
        "ArnNotEquals",
        "aws:SourceArn",
        f"arn:aws:events:us-east-1:{DEV}:rule/r",
        [f"arn:aws:events:us-east-1:{DEV}:rule/s"],
        True,
    ),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:events:*:*:rule/*", [f"arn:aws:events:us-east-1:{DEV}:rule/s"], False),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:events:*:*:rule/*", ABSENT, True),
    ("ArnLikeIfExists", "aws:SourceArn", "arn:aws:events:*:*:rule/*", ABSENT, True),
    ("NumericEquals", "s3:max-keys", "10", ["10"], True),
    ("NumericEquals", "s3:max-keys", "10", ["10.0"], True),
    ("NumericEquals", "s3:max-keys", "10", ABSENT, False),
    ("NumericNotEquals", "s3:max-keys", "10", ["11"], True),
    ("NumericNotEquals", "s3:max-keys", "10", ABSENT, True),
    ("NumericLessThan", "s3:max-keys", "10", ["9"], True),
    ("NumericLessThan", "s3:max-keys", "10", ["10"], False),
    ("NumericLessThanEquals", "s3:max-keys", "10", ["10"], True),
    ("NumericGreaterThan", "s3:max-keys", "10", ["10"], False),
    ("NumericGreaterThan", "s3:max-keys", "10", ["11"], True),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", ["10"], True),
    ("NumericLessThanIfExists", "s3:max-keys", "10", ABSENT, True),
    ("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", ["2029-12-31T23:59:59Z"], True),
    ("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", ["2030-01-01T00:00:00Z"], False),
    ("DateLessThanEquals", "aws:CurrentTime", "2030-01-01", ["2030-01-01T00:00:00Z"], True),
    ("DateGreaterThan", "aws:CurrentTime", "1893456000", ["2030-01-01T00:00:01Z"], True),  # epoch seconds
    ("DateGreaterThan", "aws:EpochTime", "2030-01-01T00:00:00Z", ["1893455999"], False),
    ("DateGreaterThanEquals", "aws:EpochTime", "2030-01-01T00:00:00Z", ["1893456000"], True),
    ("DateEquals", "aws:CurrentTime", "2030-01-01T01:00:00+01:00", ["2030-01-01T00:00:00Z"], True),
    ("DateNotEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", ["2030-01-02T00:00:00Z"], True),
    ("DateNotEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", ABSENT, True),
    ("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", ABSENT, False),
    ("Bool", "aws:SecureTransport", "true", ["true"], True),
    ("Bool", "aws:SecureTransport", True, ["true"], True),  # a JSON boolean in the policy
    ("Bool", "aws:SecureTransport", "false", ["true"], False),
    ("Bool", "aws:SecureTransport", "true", ABSENT, False),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "true", ABSENT, True),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "true", ["false"], False),
    ("Null", "aws:ResourceTag/team", "true", ABSENT, True),
    ("Null", "aws:ResourceTag/team", "true", ["ml"], False),
    ("Null", "aws:ResourceTag/team", "false", ["ml"], True),
    ("Null", "aws:ResourceTag/team", "false", ABSENT, False),
    ("Null", "aws:ResourceTag/team", "false", [], False),  # empty counts as absent
    ("BinaryEquals", "aws:UserAgent", "QmluYXJ5VmFsdWU=", ["QmluYXJ5VmFsdWU="], True),
    ("BinaryEquals", "aws:UserAgent", "QmluYXJ5VmFsdWU=", ["T3RoZXI="], False),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8", ["10.1.2.3"], True),
    ("IpAddress", "aws:SourceIp", ["192.168.0.0/16", "10.0.0.0/8"], ["10.1.2.3"], True),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8", ["192.168.0.1"], False),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", ["2001:db8::1"], True),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8", ABSENT, False),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", ["192.168.0.1"], True),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", ["10.0.0.1"], False),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
    ("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["team", "env"], ["owner", "env"], True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], ["owner", "env"], False),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], ABSENT, False),  # ForAnyValue on absent: false
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["team"], ["team", "env"], True),  # env is not team
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["team"], ["team"], False),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["team"], ABSENT, False),
    ("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", ["team"], ABSENT, True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team", "env", "owner"], ["team", "env"], True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team", "env"], ["team", "cost"], False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team"], ABSENT, True),  # ForAllValues on absent: true
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team"], [], True),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], ["team", "env"], True),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], ["team", "secret"], False),
    ("ForAllValues:StringLike", "aws:TagKeys", ["team*"], ["team", "team-lead"], True),
    ("ForAnyValue:ArnLike", "aws:CalledVia", "arn:aws:*:*:*:*", ["x"], False),
    ("StringEquals", "AWS:SOURCEACCOUNT", DEV, [DEV], True),  # keys compare without case
]


@pytest.mark.parametrize(("operator", "key", "expected", "actual", "holds"), CONDITIONS)
def test_condition_operator(operator: str, key: str, expected: Any, actual: list[str] | None, holds: bool) -> None:
    context = {} if actual is None else {key.lower(): actual}
    statement = stmt(Condition={operator: {key: expected}})
    decision = decide([policy(statement)], context=context)
    assert decision.outcome is (ALLOWED if holds else IMPLICIT)


def test_condition_block_ands_operators_and_keys() -> None:
    block = {
        "StringEquals": {"aws:SourceAccount": DEV, "aws:RequestedRegion": "us-east-1"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    base = {"aws:sourceaccount": [DEV], "aws:requestedregion": ["us-east-1"], "aws:securetransport": ["true"]}
    assert decide([policy(stmt(Condition=block))], context=base).allowed
    for key, value in (("aws:requestedregion", "eu-west-1"), ("aws:securetransport", "false")):
        decision = decide([policy(stmt(Condition=block))], context={**base, key: [value]})
        assert decision.outcome is IMPLICIT, key


def test_authorization_context_joins_the_global_context() -> None:
    statement = stmt(
        Condition={"StringEquals": {"aws:SourceAccount": DEV, "kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    )
    authz = Authorization("kms:Decrypt", KEY, DEV, {"kms:viaservice": ["s3.us-east-1.amazonaws.com"]})
    decision = evaluate(
        CALLER, authz, identity_policies=[policy(statement)], resource_policy=None, context={"aws:sourceaccount": [DEV]}
    )
    assert decision.allowed


# --- condition keys the deployment's policies use --------------------------------------------------

KEY_FAMILIES = [
    # (id, effect, condition block, a request that passes, one that does not)
    ("aws:PrincipalArn", "Allow", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{DEV}:role/ci/*"}},
     {"aws:principalarn": [ROLE]}, {"aws:principalarn": [f"arn:aws:iam::{DEV}:role/other"]}),
    ("aws:PrincipalOrgID", "Allow", {"StringEquals": {"aws:PrincipalOrgID": "o-sandbox00001"}},
     {"aws:principalorgid": ["o-sandbox00001"]}, {"aws:principalorgid": ["o-other"]}),
    ("aws:SourceAccount", "Allow", {"StringEquals": {"aws:SourceAccount": DEV}},
     {"aws:sourceaccount": [DEV]}, {"aws:sourceaccount": [TOOLING]}),
    ("aws:SourceArn", "Allow", {"ArnLike": {"aws:SourceArn": f"arn:aws:codepipeline:*:{DEV}:churn-*"}},
     {"aws:sourcearn": [f"arn:aws:codepipeline:us-east-1:{DEV}:churn-deploy"]}, {}),
    ("aws:SecureTransport", "Deny", {"Bool": {"aws:SecureTransport": "false"}},
     {"aws:securetransport": ["true"]}, {"aws:securetransport": ["false"]}),
    ("aws:ResourceTag", "Allow", {"StringEquals": {"aws:ResourceTag/Project": "churn"}},
     {"aws:resourcetag/project": ["churn"]}, {"aws:resourcetag/project": ["fraud"]}),
    ("aws:RequestTag+TagKeys", "Allow",
     {"StringEquals": {"aws:RequestTag/Project": "churn"},
      "ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Owner"]}},
     {"aws:requesttag/project": ["churn"], "aws:tagkeys": ["Project"]},
     {"aws:requesttag/project": ["churn"], "aws:tagkeys": ["Project", "CostCenter"]}),
    ("kms:ViaService", "Allow",
     {"StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com", "sagemaker.us-east-1.amazonaws.com"]}},
     {"kms:viaservice": ["sagemaker.us-east-1.amazonaws.com"]}, {}),
    ("kms:CallerAccount", "Allow", {"StringEquals": {"kms:CallerAccount": [DEV, TOOLING]}},
     {"kms:calleraccount": [TOOLING]}, {"kms:calleraccount": ["444444444444"]}),
    ("kms:GrantIsForAWSResource", "Allow", {"Bool": {"kms:GrantIsForAWSResource": True}},
     {"kms:grantisforawsresource": ["true"]}, {"kms:grantisforawsresource": ["false"]}),
    ("kms:ResourceAliases", "Allow", {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/churn-*"}},
     {"kms:resourcealiases": ["alias/other", "alias/churn-artifacts"]}, {"kms:resourcealiases": ["alias/other"]}),
    ("iam:PassedToService", "Allow", {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
     {"iam:passedtoservice": ["sagemaker.amazonaws.com"]}, {"iam:passedtoservice": ["ec2.amazonaws.com"]}),
    ("dynamodb:LeadingKeys", "Allow", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["churn#*", "shared#*"]}},
     {"dynamodb:leadingkeys": ["churn#v1", "shared#config", "churn#v2"]},
     {"dynamodb:leadingkeys": ["churn#v1", "fraud#v1"]}),
    ("sagemaker:ResourceTag", "Allow", {"StringEquals": {"sagemaker:ResourceTag/team": "ml"}},
     {"sagemaker:resourcetag/team": ["ml"]}, {"sagemaker:resourcetag/team": ["web"]}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("effect", "block", "passing", "failing"), [pytest.param(*row[1:], id=row[0]) for row in KEY_FAMILIES]
)
def test_condition_key_family(
    effect: str, block: dict[str, Any], passing: dict[str, list[str]], failing: dict[str, list[str]]
) -> None:
    if effect == "Allow":
        policies, refused = [policy(stmt(Condition=block))], IMPLICIT
    else:
        policies, refused = [allow_all(), policy(stmt("Deny", Condition=block))], DENY_ID
    assert decide(policies, context=passing).outcome is ALLOWED
    assert decide(policies, context=failing).outcome is refused


# --- policy variables ------------------------------------------------------------------------------

HOME = "arn:aws:s3:::homes/${aws:username}/*"


@pytest.mark.parametrize(
    ("resource", "arn", "context", "allowed"),
    [
        (HOME, "arn:aws:s3:::homes/ana/notes.txt", {"aws:username": ["ana"]}, True),
        (HOME, "arn:aws:s3:::homes/bo/notes.txt", {"aws:username": ["ana"]}, False),
        (HOME, "arn:aws:s3:::homes/ana/notes.txt", {}, False),  # unresolvable: the statement does not match
        ("arn:aws:s3:::homes/${aws:username}/*", "arn:aws:s3:::homes/a*/x", {"aws:username": ["a*"]}, True),
        ("arn:aws:s3:::homes/${aws:username}/*", "arn:aws:s3:::homes/ab/x", {"aws:username": ["a*"]}, False),
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", {}, True),  # ${*} is a literal asterisk
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", {}, False),
        ("arn:aws:s3:::b/${?}${$}", "arn:aws:s3:::b/?$", {}, True),
        ("arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*", "arn:aws:s3:::b/shared/x", {}, True),
        (
            "arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*",
            "arn:aws:s3:::b/ml/x",
            {"aws:principaltag/team": ["ml"]},
            True,
        ),
    ],
)
def test_policy_variables_in_resource(resource: str, arn: str, context: dict[str, list[str]], allowed: bool) -> None:
    assert (
        decide(
            [policy(stmt(action="s3:GetObject", resource=resource))], action="s3:GetObject", arn=arn, context=context
        ).allowed
        is allowed
    )


def test_policy_variables_in_condition_values() -> None:
    statement = stmt(Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})
    same = {"aws:principaltag/team": ["ml"], "aws:resourcetag/team": ["ml"]}
    assert decide([policy(statement)], context=same).allowed
    assert decide([policy(statement)], context={**same, "aws:resourcetag/team": ["web"]}).outcome is IMPLICIT


def test_policy_variables_need_version_2012_10_17() -> None:
    old = policy(stmt(resource=HOME), version="2008-10-17")
    literal = "arn:aws:s3:::homes/${aws:username}/x"
    assert decide([old], arn=literal, context={"aws:username": ["ana"]}).allowed
    assert decide([old], arn="arn:aws:s3:::homes/ana/x", context={"aws:username": ["ana"]}).outcome is IMPLICIT


def test_unresolvable_variable_in_a_deny_leaves_it_unmatched() -> None:
    guard = policy(stmt("Deny", resource="arn:aws:s3:::homes/${aws:username}/*"))
    assert decide([allow_all(), guard], arn="arn:aws:s3:::homes/ana/x").outcome is ALLOWED


# --- what the sandbox cannot evaluate --------------------------------------------------------------


def test_unknown_condition_key_is_unsupported(caplog: pytest.LogCaptureFixture) -> None:
    statement = stmt(Condition={"StringEquals": {"aws:SourceVpce": "vpce-1", "ec2:Vpc": "vpc-1"}})
    with caplog.at_level(logging.WARNING, logger="sandbox.iam"):
        decision = decide([policy(statement)], context={"aws:sourcevpce": ["vpce-1"]})
    assert decision.outcome is UNSUPPORTED
    assert decision.detail == "the condition key ec2:Vpc (policy inline:test, statement #0)"
    assert "ec2:Vpc" in caplog.text


def test_unknown_operator_is_unsupported() -> None:
    decision = decide([policy(stmt(Condition={"StringSortOf": {"aws:SourceAccount": DEV}}))])
    assert decision.outcome is UNSUPPORTED
    assert "the condition operator StringSortOf" in decision.detail


def test_unknown_key_in_a_deny_could_refuse_an_allowed_request() -> None:
    guard = policy(stmt("Deny", Condition={"StringEquals": {"ec2:Vpc": "vpc-1"}}), name="guard")
    decision = decide([allow_all(), guard])
    assert decision.outcome is UNSUPPORTED
    assert decision.detail == "the condition key ec2:Vpc (policy guard, statement #0)"


def test_unknown_key_is_reported_only_when_the_statement_otherwise_matches() -> None:
    statement = stmt(action="s3:GetObject", Condition={"StringEquals": {"ec2:Vpc": "vpc-1"}})
    decision = decide([policy(statement)])
    assert decision.outcome is IMPLICIT
    assert decision.detail == ""


def test_unknown_key_that_cannot_change_the_decision_is_noted() -> None:
    doubtful = policy(stmt(Condition={"StringEquals": {"ec2:Vpc": "vpc-1"}}), name="doubtful")
    decision = decide([allow_all(), doubtful])
    assert decision.outcome is ALLOWED
    assert decision.allowed_by == (StatementRef("inline:all", "All"),)
    assert "ec2:Vpc" in decision.detail


def test_a_false_known_condition_settles_the_statement() -> None:
    block = {"StringEquals": {"aws:SourceAccount": TOOLING, "ec2:Vpc": "vpc-1"}}
    assert decide([policy(stmt(Condition=block))], context={"aws:sourceaccount": [DEV]}).outcome is IMPLICIT


def test_key_provided_by_the_caller_is_evaluated_even_if_not_listed() -> None:
    statement = stmt(Condition={"StringEquals": {"ec2:Vpc": "vpc-1"}})
    assert decide([policy(statement)], context={"ec2:vpc": ["vpc-1"]}).outcome is ALLOWED


@pytest.mark.parametrize(
    ("key", "known"),
    [
        ("aws:PrincipalArn", True),
        ("AWS:principalarn", True),
        ("aws:PrincipalTag/team", True),
        ("aws:ResourceTag/", False),  # a family needs its member
        ("kms:EncryptionContext:aws:s3:arn", True),
        ("sagemaker:CustomerMetadataProperties/stage", True),
        ("s3:ExistingObjectTag/class", True),
        ("dynamodb:LeadingKeys", True),
        ("application-autoscaling:service-namespace", True),
        ("codebuild:source.location", True),
        ("ec2:Vpc", False),
        ("aws:NoSuchKey", False),
    ],
)
def test_is_known(key: str, known: bool) -> None:
    assert is_known(key) is known


# --- parse_policy and describe ---------------------------------------------------------------------


def test_parse_policy_normalises_shapes() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Principal": {"AWS": DEV},
                "Condition": {"Bool": {"aws:SecureTransport": True}},
            },
        }
    )
    parsed = parse_policy(text)
    assert parsed["Version"] == "2012-10-17"
    assert parsed["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": ["*"],
            "Principal": {"AWS": [DEV]},
            "Condition": {"Bool": {"aws:SecureTransport": ["true"]}},
        }
    ]
    assert parse_policy({"Effect": "Deny", "Action": "*", "Resource": "*"})["Statement"] == [
        {"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}
    ]
    assert parse_policy(None) == {"Statement": []}
    with pytest.raises(ValueError):
        parse_policy("{not json")
    with pytest.raises(ValueError):
        parse_policy("[1, 2]")


def test_evaluate_accepts_json_text_documents() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [stmt(action="sagemaker:CreateModel")]})
    assert decide([NamedPolicy("text", json.loads(text))]).allowed
    assert decide([NamedPolicy("text", text)]).allowed  # type: ignore[arg-type]


WHO = f"User: {SESSION} is not authorized to perform: sagemaker:CreateModel on resource: {MODEL}"
NO_IDENTITY = f"{WHO} because no identity-based policy allows the sagemaker:CreateModel action"
NO_RESOURCE_POLICY = f"{WHO} because no resource-based policy allows the sagemaker:CreateModel action"
CANNOT = f"{WHO} because the sandbox cannot evaluate the condition operator IpRange (policy inline:test, statement #0)"


@pytest.mark.parametrize(
    ("identity", "resource", "account", "required", "message"),
    [
        ([], None, DEV, False, NO_IDENTITY),
        ([policy(stmt("Deny"))], None, DEV, False, f"{WHO} with an explicit deny in an identity-based policy"),
        ([allow_all()], policy(stmt("Deny", Principal="*")), DEV, False,
         f"{WHO} with an explicit deny in a resource-based policy"),
        ([allow_all()], None, TOOLING, False, NO_RESOURCE_POLICY),
        ([allow_all()], None, DEV, True, NO_RESOURCE_POLICY),
        ([policy(stmt(Condition={"IpRange": {"aws:SourceIp": "10.0.0.0/8"}}))], None, DEV, False, CANNOT),
    ],
)  # fmt: skip
def test_describe_uses_aws_wording(
    identity: list[NamedPolicy], resource: NamedPolicy | None, account: str, required: bool, message: str
) -> None:
    assert describe(decide(identity, resource, account=account, required=required)) == message


def test_describe_the_example_from_aws() -> None:
    caller = Principal(DEV, SESSION, f"arn:aws:iam::{DEV}:role/churn-dev-codebuild")
    decision = decide([], principal=caller)
    assert describe(decision) == (
        "User: arn:aws:sts::222222222222:assumed-role/churn-dev-codebuild/b1 is not authorized to perform: "
        "sagemaker:CreateModel on resource: arn:aws:sagemaker:us-east-1:222222222222:model/x "
        "because no identity-based policy allows the sagemaker:CreateModel action"
    )


def test_describe_an_allowed_request() -> None:
    assert describe(decide([allow_all()])) == (
        f"User: {SESSION} is authorized to perform: sagemaker:CreateModel on resource: {MODEL}"
    )


def test_a_bare_string_in_the_context_is_one_value() -> None:
    statement = stmt(Condition={"StringEquals": {"aws:SourceAccount": DEV}})
    assert decide([policy(statement)], context={"aws:SourceAccount": DEV}).allowed
    assert decide([policy(statement)], context={"aws:SourceAccount": "2"}).outcome is IMPLICIT
