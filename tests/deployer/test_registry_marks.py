"""Registry marks: deployer keys in CustomerMetadataProperties, merged per stage, read back as {stage: marks}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer.registry_marks import (
    RegistryAccessDenied,
    RegistryMarks,
    RegistryMarksError,
    RegistryMarksInputError,
    StageMarks,
    mark_key,
    read_marks,
    validate_key,
    validate_value,
)
from tests.conftest import Sandbox


def test_keys_follow_the_service_model_constraints() -> None:
    assert mark_key("verified", "dev") == "deployer:verified:dev"
    assert mark_key("live", "prod-eu") == "deployer:live:prod-eu"
    assert mark_key("rolled-back", "staging") == "deployer:rolled-back:staging"
    with pytest.raises(RegistryMarksInputError, match="invalid stage 'Prod!'"):
        mark_key("live", "Prod!")
    with pytest.raises(RegistryMarksInputError, match="unknown mark kind"):
        mark_key("approved", "dev")
    with pytest.raises(RegistryMarksInputError, match="1-128 characters"):
        validate_key("k" * 129)
    with pytest.raises(RegistryMarksInputError, match="only letters, digits"):
        validate_key("deployer:live:dev#1")
    assert validate_key("Ünïcode key_1.2:/=+-@ ok") == "Ünïcode key_1.2:/=+-@ ok"
    assert validate_value("k", "2027-01-15T08:00:00.000000Z") == "2027-01-15T08:00:00.000000Z"
    with pytest.raises(RegistryMarksInputError, match="1-256 characters"):
        validate_value("k", "")


def test_read_marks_groups_deployer_keys_by_stage_and_ignores_the_rest() -> None:
    metadata = {
        "team": "ml-platform",
        "deployer:verified:dev": "2027-01-15T08:00:00Z",
        "deployer:live:dev": "true",
        "deployer:verified:staging": "2027-01-15T09:00:00Z",
        "deployer:rolled-back:prod": "2027-01-16T10:00:00Z",
        "deployer:live:prod": "false",
        "deployer:unknown:dev": "x",
        "deployer:live:Bad Stage": "true",
    }
    assert read_marks(metadata) == {
        "dev": StageMarks(verified_at="2027-01-15T08:00:00Z", live=True),
        "prod": StageMarks(rolled_back_at="2027-01-16T10:00:00Z", live=False),
        "staging": StageMarks(verified_at="2027-01-15T09:00:00Z"),
    }
    assert read_marks(None) == {}


class RecordingSageMaker:
    """A registry double with AWS's merge semantics that records every UpdateModelPackage request."""

    def __init__(self, metadata: dict[str, str], deny: bool = False) -> None:
        self.metadata = dict(metadata)
        self.updates: list[dict[str, Any]] = []
        self.deny = deny

    def describe_model_package(self, **kwargs: Any) -> Any:
        if self.deny:
            raise ClientError(
                {
                    "Error": {
                        "Code": "AccessDeniedException",
                        "Message": "not authorized: sagemaker:DescribeModelPackage",
                    }
                },
                "DescribeModelPackage",
            )
        return {"ModelPackageArn": kwargs["ModelPackageName"], "CustomerMetadataProperties": dict(self.metadata)}

    def update_model_package(self, **kwargs: Any) -> Any:
        self.updates.append(kwargs)
        self.metadata.update(kwargs.get("CustomerMetadataProperties", {}))
        for key in kwargs.get("CustomerMetadataPropertiesToRemove", []):
            self.metadata.pop(key, None)
        return {"ModelPackageArn": kwargs["ModelPackageArn"]}


ARN = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/7"


def test_updates_send_only_changed_keys_and_skip_no_ops() -> None:
    registry = RecordingSageMaker({"team": "ml", "deployer:live:dev": "true"})
    marks = RegistryMarks(registry)
    assert marks.set_live(ARN, "dev") is False  # already live: no call at all
    assert marks.mark_verified(ARN, "dev", "2027-01-15T08:00:00Z") is True
    assert marks.mark_verified(ARN, "dev", "2027-01-20T08:00:00Z") is False  # the first time is kept
    assert marks.set_live(ARN, "dev", False) is True
    assert marks.set_live(ARN, "dev", False) is False
    assert registry.updates == [
        {"ModelPackageArn": ARN, "CustomerMetadataProperties": {"deployer:verified:dev": "2027-01-15T08:00:00Z"}},
        {"ModelPackageArn": ARN, "CustomerMetadataPropertiesToRemove": ["deployer:live:dev"]},
    ]
    assert registry.metadata == {"team": "ml", "deployer:verified:dev": "2027-01-15T08:00:00Z"}


def test_the_fifty_entry_limit_and_set_remove_overlap_are_refused_before_sending() -> None:
    registry = RecordingSageMaker({f"team:key{i}": "v" for i in range(50)})
    marks = RegistryMarks(registry)
    with pytest.raises(RegistryMarksError, match="would carry 51 metadata entries; SageMaker allows 50"):
        marks.set_live(ARN, "dev")
    with pytest.raises(RegistryMarksInputError, match="both set and removed: a"):
        marks.update(ARN, set_keys={"a": "1"}, remove=["a"])
    assert registry.updates == []


def test_access_denied_names_the_action_and_package() -> None:
    marks = RegistryMarks(RecordingSageMaker({}, deny=True))
    with pytest.raises(RegistryAccessDenied, match=f"access denied: sagemaker:DescribeModelPackage on {ARN}"):
        marks.marks(ARN)


# ------------------------------------------------------------------------------------------------ sandbox


@pytest.fixture
def packages(sandbox: Sandbox, unique: Callable[[str], str]) -> tuple[Any, list[str]]:
    """Two approved versions in a tooling-account group; the first carries a team key of its own."""
    client: Any = sandbox.client("sagemaker")
    group = unique("churn")
    client.create_model_package_group(ModelPackageGroupName=group)
    spec = {
        "Containers": [{"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/churn:1", "ModelDataUrl": "s3://m/1"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    arns = [
        client.create_model_package(
            ModelPackageGroupName=group,
            InferenceSpecification=spec,
            ModelApprovalStatus="Approved",
            CustomerMetadataProperties={"team": "ml-platform"},
        )["ModelPackageArn"]
        for _ in range(2)
    ]
    return client, arns


# The sandbox's registry extension merges CustomerMetadataProperties (stock moto replaces them).
def test_stage_marks_merge_in_the_sandbox_registry(packages: tuple[Any, list[str]]) -> None:
    client, (v1, v2) = packages
    marks = RegistryMarks(client)
    assert marks.mark_verified(v1, "dev", "2027-01-15T08:00:00.000000Z") is True
    marks.move_live("dev", v1, None)
    assert marks.mark_verified(v1, "staging", "2027-01-15T09:00:00.000000Z") is True
    marks.move_live("staging", v1, None)

    # v2 goes live on dev: v1 stays verified everywhere and live on staging only.
    marks.move_live("dev", v2, v1)
    assert marks.marks(v1) == {
        "dev": StageMarks(verified_at="2027-01-15T08:00:00.000000Z"),
        "staging": StageMarks(verified_at="2027-01-15T09:00:00.000000Z", live=True),
    }
    assert marks.marks(v2) == {"dev": StageMarks(live=True)}
    described = client.describe_model_package(ModelPackageName=v1)
    assert described["CustomerMetadataProperties"]["team"] == "ml-platform"
    assert described["ModelApprovalStatus"] == "Approved"  # a metadata update never touches approval

    assert marks.mark_rolled_back(v2, "dev", "2027-01-16T10:00:00.000000Z") is True
    marks.move_live("dev", v1, v2)
    assert marks.marks(v2) == {"dev": StageMarks(rolled_back_at="2027-01-16T10:00:00.000000Z")}
    assert marks.marks(v1)["dev"] == StageMarks(verified_at="2027-01-15T08:00:00.000000Z", live=True)


def test_missing_package_is_a_named_error(sandbox: Sandbox) -> None:
    client: Any = sandbox.client("sagemaker")
    missing = "arn:aws:sagemaker:us-east-1:111111111111:model-package/no-such-group/1"
    with pytest.raises(RegistryMarksError, match=f"sagemaker:DescribeModelPackage on {missing} failed"):
        RegistryMarks(client).marks(missing)
