"""Model Registry in the sandbox: group policies, cross-account reads, metadata merges, tags, deletes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNTS, REGION, Sandbox

TOOLING = ACCOUNTS["tooling"]
DEV = ACCOUNTS["dev"]
STAGING = ACCOUNTS["staging"]


def _container() -> dict[str, Any]:
    return {"Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/model:1", "ModelDataUrl": "s3://b/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}  # fmt: skip


def _group_with_package(sm: Any, name: str, status: str = "Approved") -> str:
    sm.create_model_package_group(ModelPackageGroupName=name)
    return str(
        sm.create_model_package(
            ModelPackageGroupName=name, InferenceSpecification=_container(), ModelApprovalStatus=status
        )["ModelPackageArn"]
    )


def _policy(group: str, principals: list[str], actions: list[str]) -> str:
    base = f"arn:aws:sagemaker:{REGION}:{TOOLING}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "StageRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": principals},
                    "Action": actions,
                    "Resource": [f"{base}:model-package-group/{group}", f"{base}:model-package/{group}/*"],
                }
            ],
        }
    )


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_group_policy_put_get_delete(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("policy-grp")
    sm.create_model_package_group(ModelPackageGroupName=group)
    policy = _policy(group, [f"arn:aws:iam::{DEV}:root"], ["sagemaker:DescribeModelPackage"])

    put = sm.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=policy)
    assert put["ModelPackageGroupArn"] == f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{group}"
    assert json.loads(sm.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"]) == json.loads(
        policy
    )

    sm.delete_model_package_group_policy(ModelPackageGroupName=group)
    with pytest.raises(ClientError) as exc:
        sm.get_model_package_group_policy(ModelPackageGroupName=group)
    code, message = _error(exc)
    assert code == "ValidationException"
    assert message.startswith("Cannot find resource policy for: ")
    with pytest.raises(ClientError) as exc:
        sm.delete_model_package_group_policy(ModelPackageGroupName=group)
    assert _error(exc)[0] == "ValidationException"


def test_group_policy_errors(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    missing = unique("no-such-grp")
    with pytest.raises(ClientError) as exc:
        sm.put_model_package_group_policy(ModelPackageGroupName=missing, ResourcePolicy='{"Statement": [{}]}')
    code, message = _error(exc)
    assert code == "ValidationException"
    assert (
        message
        == f"Cannot find Model Package Group: arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{missing}"
    )
    with pytest.raises(ClientError) as exc:
        sm.get_model_package_group_policy(ModelPackageGroupName=missing)
    assert "Cannot find Model Package Group" in _error(exc)[1]

    group = unique("bad-policy-grp")
    sm.create_model_package_group(ModelPackageGroupName=group)
    with pytest.raises(ClientError) as exc:
        sm.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy="not json")
    assert _error(exc)[0] == "ValidationException"


def test_delete_group_and_packages(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("del-grp")
    first = _group_with_package(sm, group)
    second = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=_container())[
        "ModelPackageArn"
    ]

    with pytest.raises(ClientError) as exc:
        sm.delete_model_package_group(ModelPackageGroupName=group)
    assert _error(exc)[0] == "ConflictException"

    sm.delete_model_package(ModelPackageName=second)
    # Versions are never reused after a delete.
    third = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=_container())["ModelPackageArn"]
    assert third.endswith("/3")
    for arn in (first, third):
        sm.delete_model_package(ModelPackageName=arn)
    with pytest.raises(ClientError) as exc:
        sm.describe_model_package(ModelPackageName=first)
    assert _error(exc)[0] == "ValidationException"

    sm.delete_model_package_group(ModelPackageGroupName=group)
    with pytest.raises(ClientError) as exc:
        sm.describe_model_package_group(ModelPackageGroupName=group)
    assert "does not exist" in _error(exc)[1]
    with pytest.raises(ClientError) as exc:
        sm.delete_model_package_group(ModelPackageGroupName=group)
    code, message = _error(exc)
    assert (code, message) == (
        "ValidationException",
        f"ModelPackageGroup arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{group} does not exist.",
    )


def test_versioned_package_defaults_to_pending_approval(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("pending-grp")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=_container())["ModelPackageArn"]
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["ModelPackageVersion"] == 1


def test_cross_account_reads_follow_the_group_policy(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("xacct-grp")
    arn = _group_with_package(sm, group)
    group_arn = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{group}"
    dev: Any = sandbox.client("sagemaker", account="dev", role="deployer")
    staging: Any = sandbox.client("sagemaker", account="staging", role="deployer")

    # No policy yet: denied, naming the caller, the action and the resource.
    with pytest.raises(ClientError) as exc:
        dev.describe_model_package(ModelPackageName=arn)
    code, message = _error(exc)
    assert code == "AccessDeniedException"
    assert message == (
        f"User: arn:aws:sts::{DEV}:assumed-role/deployer/tests is not authorized to perform: "
        f"sagemaker:DescribeModelPackage on resource: {arn} because no resource-based policy allows the "
        "sagemaker:DescribeModelPackage action"
    )

    sm.put_model_package_group_policy(
        ModelPackageGroupName=group,
        ResourcePolicy=_policy(
            group, [f"arn:aws:iam::{DEV}:root"], ["sagemaker:Describe*", "sagemaker:ListModelPackages"]
        ),
    )
    described = dev.describe_model_package(ModelPackageName=arn)
    assert described["ModelPackageArn"] == arn
    assert described["ModelApprovalStatus"] == "Approved"
    listed = dev.list_model_packages(ModelPackageGroupName=group_arn, ModelApprovalStatus="Approved")
    assert [p["ModelPackageArn"] for p in listed["ModelPackageSummaryList"]] == [arn]
    assert dev.describe_model_package_group(ModelPackageGroupName=group_arn)["ModelPackageGroupName"] == group

    # Another account is not named: still denied, both ways.
    for operation, kwargs in (
        ("describe_model_package", {"ModelPackageName": arn}),
        ("list_model_packages", {"ModelPackageGroupName": group_arn}),
    ):
        with pytest.raises(ClientError) as exc:
            getattr(staging, operation)(**kwargs)
        assert _error(exc)[0] == "AccessDeniedException"
        assert f"arn:aws:sts::{STAGING}:assumed-role/deployer/tests" in _error(exc)[1]
    # The policy allows reads only.
    with pytest.raises(ClientError) as exc:
        dev.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    assert _error(exc)[0] == "AccessDeniedException"
    assert "sagemaker:UpdateModelPackage" in _error(exc)[1]

    # Same-account calls are unchanged.
    assert sm.describe_model_package(ModelPackageName=arn)["ModelPackageArn"] == arn


def test_cross_account_policy_naming_a_role(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("role-grp")
    arn = _group_with_package(sm, group)
    sm.put_model_package_group_policy(
        ModelPackageGroupName=group,
        ResourcePolicy=_policy(group, [f"arn:aws:iam::{DEV}:role/deployer"], ["sagemaker:DescribeModelPackage"]),
    )
    allowed: Any = sandbox.client("sagemaker", account="dev", role="deployer")
    other_role: Any = sandbox.client("sagemaker", account="dev", role="intruder")
    assert allowed.describe_model_package(ModelPackageName=arn)["ModelPackageArn"] == arn
    with pytest.raises(ClientError) as exc:
        other_role.describe_model_package(ModelPackageName=arn)
    assert _error(exc)[0] == "AccessDeniedException"
    # The action is not granted for listing.
    with pytest.raises(ClientError) as exc:
        allowed.list_model_packages(
            ModelPackageGroupName=f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{group}"
        )
    assert "sagemaker:ListModelPackages" in _error(exc)[1]


def test_cross_account_policy_with_bare_account_id_and_deny(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("deny-grp")
    arn = _group_with_package(sm, group)
    document = json.loads(_policy(group, [DEV], ["sagemaker:*"]))
    document["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": {"AWS": f"arn:aws:iam::{DEV}:role/blocked"},
            "Action": "sagemaker:DescribeModelPackage",
            "Resource": "*",
        }
    )
    sm.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=json.dumps(document))
    assert (
        sandbox.client("sagemaker", account="dev", role="any").describe_model_package(  # type: ignore[attr-defined]
            ModelPackageName=arn
        )["ModelPackageArn"]
        == arn
    )
    with pytest.raises(ClientError) as exc:
        sandbox.client("sagemaker", account="dev", role="blocked").describe_model_package(  # type: ignore[attr-defined]
            ModelPackageName=arn
        )
    assert _error(exc)[0] == "AccessDeniedException"


def test_update_merges_and_removes_metadata(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("meta-grp")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=_container(),
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"trained_by": "ci", "dataset": "v1"},
    )["ModelPackageArn"]
    sm.update_model_package(
        ModelPackageArn=arn, ApprovalDescription="ok", CustomerMetadataProperties={"verified_dev": "true"}
    )
    sm.update_model_package(
        ModelPackageArn=arn,
        CustomerMetadataProperties={"dataset": "v2", "verified_staging": "true"},
        CustomerMetadataPropertiesToRemove=["trained_by"],
    )
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["CustomerMetadataProperties"] == {
        "dataset": "v2",
        "verified_dev": "true",
        "verified_staging": "true",
    }
    # Fields the update leaves out keep their values.
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "ok"
    assert "LastModifiedTime" in described

    with pytest.raises(ClientError) as exc:
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Maybe")
    assert _error(exc)[0] == "ValidationException"


def test_tags_on_versioned_package(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("tag-grp")
    arn = _group_with_package(sm, group)
    assert sm.list_tags(ResourceArn=arn)["Tags"] == []
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}, {"Key": "team", "Value": "ml"}])
    assert {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]} == {"stage": "dev", "team": "ml"}
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    with pytest.raises(ClientError) as exc:
        sm.list_tags(ResourceArn=arn.rsplit("/", 1)[0] + "/99")
    assert _error(exc)[0] == "ValidationException"
