"""What Terraform needs from the sandbox: AWS's response shapes, checked with boto3, then applied with Terraform.

Each gap has a boto3-level test of the shape AWS sends, and the `slow` tests apply a small Terraform
fixture (tests/sandbox/tf/<case>) against the sandbox: plan, apply, re-plan with no changes, apply an
in-place update where the fixture has one, re-plan again, destroy.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.ext.tf_iam import service_trusted
from tests.conftest import ACCOUNTS, REGION, Sandbox
from tests.terraform.conftest import Terraform, require_terraform

FIXTURES = Path(__file__).resolve().parent / "tf"
TOOLING = ACCOUNTS["tooling"]


class RawBodies:
    """Captures the raw JSON bodies a client receives, to check what is on the wire."""

    def __init__(self, client: Any) -> None:
        self.bodies: dict[str, Any] = {}
        client.meta.events.register("before-parse", self._capture)

    def _capture(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict.get("body") or b"{}"
        self.bodies[operation_model.name] = json.loads(body)


def _trust(*services: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": list(services) if len(services) > 1 else services[0]},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


# --- CodeCommit ---------------------------------------------------------------------------------


def test_codecommit_dates_are_epoch_numbers_and_tags_round_trip(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cc: Any = sandbox.client("codecommit")
    raw = RawBodies(cc)
    name = unique("repo")
    created = cc.create_repository(repositoryName=name, repositoryDescription="d", tags={"team": "ml"})
    meta = raw.bodies["CreateRepository"]["repositoryMetadata"]
    assert isinstance(meta["creationDate"], int | float)
    assert isinstance(meta["lastModifiedDate"], int | float)
    assert isinstance(created["repositoryMetadata"]["creationDate"], datetime.datetime)

    got = cc.get_repository(repositoryName=name)["repositoryMetadata"]
    assert isinstance(raw.bodies["GetRepository"]["repositoryMetadata"]["creationDate"], int | float)
    arn = got["Arn"]
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "ml"}

    cc.tag_resource(resourceArn=arn, tags={"stage": "dev"})
    cc.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"stage": "dev"}

    cc.update_repository_description(repositoryName=name, repositoryDescription="new")
    assert cc.get_repository(repositoryName=name)["repositoryMetadata"]["repositoryDescription"] == "new"

    missing = arn.rsplit(":", 1)[0] + ":no-such-repo"
    with pytest.raises(ClientError) as err:
        cc.list_tags_for_resource(resourceArn=missing)
    assert err.value.response["Error"]["Code"] == "RepositoryDoesNotExistException"


# --- CodePipeline and the IAM trust check --------------------------------------------------------


def _pipeline(name: str, role_arn: str, bucket: str) -> dict[str, Any]:
    return {
        "name": name,
        "roleArn": role_arn,
        "pipelineType": "V2",
        "executionMode": "QUEUED",
        "artifactStore": {"type": "S3", "location": bucket},
        "stages": [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "Source",
                        "actionTypeId": {
                            "category": "Source",
                            "owner": "AWS",
                            "provider": "CodeCommit",
                            "version": "1",
                        },
                        "configuration": {"RepositoryName": "r", "BranchName": "main"},
                        "outputArtifacts": [{"name": "src"}],
                    }
                ],
            },
            {
                "name": "Approve",
                "actions": [
                    {
                        "name": "Approve",
                        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
                    }
                ],
            },
        ],
    }


def test_codepipeline_accepts_role_trusting_several_services_and_sends_epoch_dates(
    sandbox: Sandbox, unique: Callable[[str], str]
) -> None:
    iam: Any = sandbox.client("iam", "dev")
    cp: Any = sandbox.client("codepipeline", "dev")
    dev = ACCOUNTS["dev"]
    multi = iam.create_role(
        RoleName=unique("pipe"),
        AssumeRolePolicyDocument=_trust(
            "codepipeline.amazonaws.com",
            "events.amazonaws.com",
            condition={"StringEquals": {"aws:SourceAccount": dev}},
        ),
    )["Role"]["Arn"]
    name = unique("pipeline")
    cp.create_pipeline(pipeline=_pipeline(name, multi, "artifacts"))

    raw = RawBodies(cp)
    got = cp.get_pipeline(name=name)
    metadata = raw.bodies["GetPipeline"]["metadata"]
    assert isinstance(metadata["created"], int | float)
    assert isinstance(metadata["updated"], int | float)
    assert isinstance(got["metadata"]["created"], datetime.datetime)
    cp.list_pipelines()
    listed = [p for p in raw.bodies["ListPipelines"]["pipelines"] if p["name"] == name]
    assert listed and isinstance(listed[0]["created"], int | float)


@pytest.mark.parametrize(
    ("trust", "why"),
    [
        (_trust("events.amazonaws.com"), "codepipeline not trusted"),
        (
            _trust("codepipeline.amazonaws.com", condition={"StringEquals": {"aws:SourceAccount": "999999999999"}}),
            "aws:SourceAccount names another account",
        ),
    ],
)
def test_codepipeline_refuses_role_it_cannot_assume(
    sandbox: Sandbox, unique: Callable[[str], str], trust: str, why: str
) -> None:
    iam: Any = sandbox.client("iam", "dev")
    cp: Any = sandbox.client("codepipeline", "dev")
    role = iam.create_role(RoleName=unique("pipe"), AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    with pytest.raises(ClientError) as err:
        cp.create_pipeline(pipeline=_pipeline(unique("pipeline"), role, "artifacts"))
    assert err.value.response["Error"]["Code"] == "InvalidStructureException", why
    assert "not authorized to perform AssumeRole" in err.value.response["Error"]["Message"]


def test_trust_policy_evaluation() -> None:
    context = {"aws:sourceaccount": ["222222222222"]}
    assert service_trusted(
        _trust("codepipeline.amazonaws.com", "events.amazonaws.com"), "codepipeline.amazonaws.com", {}
    )
    assert not service_trusted(_trust("events.amazonaws.com"), "codepipeline.amazonaws.com", {})
    cond = {"ArnLike": {"aws:SourceArn": "arn:aws:codepipeline:us-east-1:222222222222:*"}}
    assert service_trusted(
        _trust("codepipeline.amazonaws.com", condition=cond),
        "codepipeline.amazonaws.com",
        {**context, "aws:sourcearn": ["arn:aws:codepipeline:us-east-1:222222222222:p"]},
    )
    assert not service_trusted(_trust("codepipeline.amazonaws.com", condition=cond), "codepipeline.amazonaws.com", {})


# --- CodeBuild -----------------------------------------------------------------------------------


def test_codebuild_codepipeline_project_round_trips_and_updates(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cb: Any = sandbox.client("codebuild")
    name = unique("build")
    role = f"arn:aws:iam::{TOOLING}:role/codebuild"
    key = f"arn:aws:kms:{REGION}:{TOOLING}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs = {"cloudWatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/x"}, "s3Logs": {"status": "DISABLED"}}
    cb.create_project(
        name=name,
        source={"type": "CODEPIPELINE", "buildspec": "buildspecs/deploy.yml"},
        artifacts={"type": "CODEPIPELINE"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [{"name": "STAGE", "value": "dev"}],
        },
        serviceRole=role,
        encryptionKey=key,
        logsConfig=logs,
        timeoutInMinutes=30,
        tags=[{"key": "project", "value": "x"}],
    )
    project = cb.batch_get_projects(names=[name])["projects"][0]
    assert project["encryptionKey"] == key
    assert project["logsConfig"] == logs
    assert project["timeoutInMinutes"] == 30
    assert project["queuedTimeoutInMinutes"] == 480
    assert project["source"] == {"type": "CODEPIPELINE", "buildspec": "buildspecs/deploy.yml", "insecureSsl": False}
    assert project["environment"]["environmentVariables"] == [{"name": "STAGE", "value": "dev", "type": "PLAINTEXT"}]
    assert project["environment"]["imagePullCredentialsType"] == "CODEBUILD"
    assert project["tags"] == [{"key": "project", "value": "x"}]

    updated = cb.update_project(name=name, description="second", timeoutInMinutes=45, tags=[])["project"]
    assert updated["description"] == "second"
    assert updated["timeoutInMinutes"] == 45
    again = cb.batch_get_projects(names=[name])["projects"][0]
    assert again["description"] == "second"
    assert again["encryptionKey"] == key
    assert again["tags"] == []
    assert again["lastModified"] >= project["lastModified"] >= project["created"]


@pytest.mark.parametrize(
    ("source", "artifacts", "message"),
    [
        ({"type": "NO_SOURCE"}, {"type": "NO_ARTIFACTS"}, "buildspec is required"),
        ({"type": "CODECOMMIT"}, {"type": "NO_ARTIFACTS"}, "location is required"),
        ({"type": "NO_SOURCE", "buildspec": "x"}, {"type": "S3"}, "location is required"),
        ({"type": "CODEPIPELINE"}, {"type": "NO_ARTIFACTS"}, "CODEPIPELINE"),
    ],
)
def test_codebuild_validates_as_aws(
    sandbox: Sandbox, unique: Callable[[str], str], source: dict[str, str], artifacts: dict[str, str], message: str
) -> None:
    cb: Any = sandbox.client("codebuild")
    with pytest.raises(ClientError) as err:
        cb.create_project(
            name=unique("build"),
            source=source,
            artifacts=artifacts,
            environment={"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"},
            serviceRole=f"arn:aws:iam::{TOOLING}:role/codebuild",
        )
    assert err.value.response["Error"]["Code"] == "InvalidInputException"
    assert message in err.value.response["Error"]["Message"]


def test_codebuild_no_source_project_needs_no_location(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cb: Any = sandbox.client("codebuild")
    name = unique("smoke")
    cb.create_project(
        name=name,
        source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=f"arn:aws:iam::{TOOLING}:role/codebuild",
    )
    assert cb.batch_get_projects(names=[name])["projects"][0]["source"]["type"] == "NO_SOURCE"


# --- Application Auto Scaling --------------------------------------------------------------------


def test_scalable_target_tags(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    aas: Any = sandbox.client("application-autoscaling", "dev")
    resource = f"endpoint/{unique('ep')}/variant/AllTraffic"
    arn = aas.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=4,
        Tags={"project": "x"},
    )["ScalableTargetARN"]
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"project": "x"}
    aas.tag_resource(ResourceARN=arn, Tags={"stage": "dev"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["project"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"stage": "dev"}

    target = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])["ScalableTargets"][0]
    assert target["RoleARN"].startswith(f"arn:aws:iam::{ACCOUNTS['dev']}:role/aws-service-role/sagemaker.")
    assert target["SuspendedState"] == {
        "DynamicScalingInSuspended": False,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": False,
    }

    aas.deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=resource, ScalableDimension="sagemaker:variant:DesiredInstanceCount"
    )
    with pytest.raises(ClientError) as err:
        aas.list_tags_for_resource(ResourceARN=arn)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


# --- S3 bucket policy conditions -----------------------------------------------------------------


def _insecure(client: Any) -> Any:
    """Mark every request of `client` as plain http (the sandbox's opt-in header)."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-sandbox-secure-transport"] = "false"

    client.meta.events.register("before-send", add_header)
    return client


@pytest.fixture
def tls_only_bucket(sandbox: Sandbox, unique: Callable[[str], str]) -> Iterator[str]:
    s3: Any = sandbox.client("s3")
    bucket = unique("tls")
    s3.create_bucket(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    yield bucket


def test_tls_only_policy_allows_requests_treated_as_tls(sandbox: Sandbox, tls_only_bucket: str) -> None:
    s3: Any = sandbox.client("s3")
    s3.put_object(Bucket=tls_only_bucket, Key="k", Body=b"v")
    assert s3.get_object(Bucket=tls_only_bucket, Key="k")["Body"].read() == b"v"
    s3.head_object(Bucket=tls_only_bucket, Key="k")


def test_tls_only_policy_still_denies_insecure_requests(sandbox: Sandbox, tls_only_bucket: str) -> None:
    sandbox.client("s3").put_object(Bucket=tls_only_bucket, Key="k", Body=b"v")
    insecure = _insecure(sandbox.client("s3"))
    with pytest.raises(ClientError) as err:
        insecure.get_object(Bucket=tls_only_bucket, Key="k")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as err:
        insecure.put_object(Bucket=tls_only_bucket, Key="k2", Body=b"v")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_bucket_policy_principal_conditions(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    s3: Any = sandbox.client("s3")
    bucket = unique("cross")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    dev_role = f"arn:aws:iam::{ACCOUNTS['dev']}:role/reader"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                # Across accounts the bucket policy must allow too; the Deny below narrows it to one role.
                "Sid": "DevAccountReads",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['dev']}:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
            {
                "Sid": "OnlyToolingAndDevReader",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {
                    "StringNotEquals": {"aws:PrincipalAccount": TOOLING},
                    "ArnNotEquals": {"aws:PrincipalArn": dev_role},
                },
            },
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    reader: Any = sandbox.client("s3", "dev", role="reader")
    assert reader.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    other: Any = sandbox.client("s3", "dev", role="someone-else")
    with pytest.raises(ClientError) as err:
        other.get_object(Bucket=bucket, Key="k")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


# --- SageMaker describe shapes -------------------------------------------------------------------


def test_sagemaker_model_and_config_omit_unset_blocks(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker", "dev")
    role = f"arn:aws:iam::{ACCOUNTS['dev']}:role/execution"
    container = {"Image": "123.dkr.ecr.us-east-1.amazonaws.com/i:1", "ModelDataUrl": "s3://b/model.tar.gz"}
    plain, vpc = unique("model"), unique("model")
    sm.create_model(ModelName=plain, ExecutionRoleArn=role, PrimaryContainer=container)
    vpc_config = {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}
    sm.create_model(ModelName=vpc, ExecutionRoleArn=role, PrimaryContainer=container, VpcConfig=vpc_config)

    described = sm.describe_model(ModelName=plain)
    assert "VpcConfig" not in described
    assert described["EnableNetworkIsolation"] is False
    assert described["PrimaryContainer"]["Image"] == container["Image"]
    assert sm.describe_model(ModelName=vpc)["VpcConfig"] == vpc_config

    config = unique("config")
    sm.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": plain, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
        ],
    )
    got = sm.describe_endpoint_config(EndpointConfigName=config)
    assert "DataCaptureConfig" not in got
    assert "AsyncInferenceConfig" not in got
    assert got["ProductionVariants"][0]["InitialVariantWeight"] == 1.0


# --- Read-backs the provider's waiters compare (no sandbox gap: they already match) ---------------
# aws_s3_bucket_lifecycle_configuration and aws_kms_key re-read what they wrote until it matches N
# times in a row (10 reads 5 s apart; 5 reads 1 s apart per KMS check). Their apply time is that
# fixed floor, against AWS too; these tests pin that the sandbox matches on the very first read, so a
# regression shows up here and not as a 3 or 10 minute waiter timeout (docs/terraform-gaps.md).


def test_lifecycle_read_back_equals_the_put_on_first_read(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    s3: Any = sandbox.client("s3")
    bucket = unique("lifecycle")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    # What the provider sends for the modules' rule: `filter {}` goes out as an empty Prefix.
    rules = [
        {
            "ID": "noncurrent-versions-and-incomplete-uploads",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
        },
        {"ID": "logs", "Status": "Disabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
    ]
    try:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={"Rules": rules},
            TransitionDefaultMinimumObjectSize="all_storage_classes_128K",
        )
        got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
        assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
        assert sorted(got["Rules"], key=lambda r: r["ID"]) == sorted(rules, key=lambda r: r["ID"])
    finally:
        s3.delete_bucket_lifecycle(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)


def test_kms_key_read_backs_match_the_create_on_first_read(sandbox: Sandbox) -> None:
    kms: Any = sandbox.client("kms")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{TOOLING}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    tags = [{"TagKey": "team", "TagValue": "ml"}]
    key = kms.create_key(Description="tf gaps", Policy=json.dumps(policy), Tags=tags)["KeyMetadata"]["KeyId"]
    try:
        kms.enable_key_rotation(KeyId=key)
        # The three create-time checks: rotation, policy, tags.
        assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
        assert json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == policy
        assert kms.list_resource_tags(KeyId=key)["Tags"] == tags
        # The read after them: rotation is only read for AWS_KMS-origin keys.
        meta = kms.describe_key(KeyId=key)["KeyMetadata"]
        assert (meta["Description"], meta["Enabled"], meta["KeyState"], meta["Origin"]) == (
            "tf gaps",
            True,
            "Enabled",
            "AWS_KMS",
        )
    finally:
        kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)


# --- Terraform fixtures --------------------------------------------------------------------------

# Cases whose fixture declares `revision`: applied twice to exercise the update APIs.
UPDATABLE = {"codecommit_repo", "codebuild_project", "codepipeline_v2", "appautoscaling_target"}
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "main.tf").is_file())


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_terraform_fixture_applies_replans_clean_and_destroys(sandbox: Sandbox, tmp_path: Path, case: str) -> None:
    require_terraform()
    tf = Terraform.from_fixture(FIXTURES / case, tmp_path, {"endpoint": sandbox.url})
    tf.init()
    try:
        tf.apply()
        code, out = tf.plan_exitcode()
        assert code == 0, f"{case}: re-plan after apply is not empty:\n{out[-4000:]}"
        if case == "s3_tls_policy":
            # The object Terraform wrote under the TLS-only policy is readable; an insecure read is not.
            s3: Any = sandbox.client("s3")
            assert json.loads(s3.get_object(Bucket="tf-gaps-capture", Key="marker.json")["Body"].read()) == {"ok": True}
            with pytest.raises(ClientError):
                _insecure(sandbox.client("s3")).get_object(Bucket="tf-gaps-capture", Key="marker.json")
        if case in UPDATABLE:
            tf.apply(revision="2")
            code, out = tf.plan_exitcode(revision="2")
            assert code == 0, f"{case}: re-plan after update is not empty:\n{out[-4000:]}"
    finally:
        tf.destroy(**({"revision": "2"} if case in UPDATABLE else {}))


def test_kms_describe_key_across_accounts_follows_the_key_policy(
    sandbox: Sandbox, unique: Callable[[str], str]
) -> None:
    dev_role = unique("stage-codebuild")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Admin",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['tooling']}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "StageDescribe",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['dev']}:root"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNTS['dev']}:role/{dev_role}"}},
            },
        ],
    }
    tooling_kms: Any = sandbox.client("kms")
    key = tooling_kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]

    allowed: Any = sandbox.client("kms", account="dev", role=dev_role)
    described = allowed.describe_key(KeyId=key["Arn"])["KeyMetadata"]
    assert (described["KeyId"], described["Arn"], described["AWSAccountId"]) == (
        key["KeyId"],
        key["Arn"],
        ACCOUNTS["tooling"],
    )

    other: Any = sandbox.client("kms", account="dev", role=unique("someone-else"))
    with pytest.raises(ClientError) as denied:
        other.describe_key(KeyId=key["Arn"])
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "kms:DescribeKey" in denied.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as missing:
        allowed.describe_key(KeyId=key["Arn"].replace(key["KeyId"], "00000000-0000-0000-0000-000000000000"))
    assert missing.value.response["Error"]["Code"] == "NotFoundException"


def test_codebuild_project_keeps_its_vpc_config(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cb: Any = sandbox.client("codebuild")
    name = unique("build")
    vpc = {"vpcId": "vpc-11111111", "subnets": ["subnet-11111111"], "securityGroupIds": ["sg-11111111"]}
    base = {
        "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2"},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"},
        "serviceRole": f"arn:aws:iam::{TOOLING}:role/codebuild",
    }
    with pytest.raises(ClientError) as err:
        cb.create_project(name=name, vpcConfig={"subnets": ["subnet-11111111"]}, **base)
    assert err.value.response["Error"]["Code"] == "InvalidInputException"
    assert "vpcId, subnets and securityGroupIds" in err.value.response["Error"]["Message"]

    cb.create_project(name=name, vpcConfig=vpc, **base)
    assert cb.batch_get_projects(names=[name])["projects"][0]["vpcConfig"] == vpc
    moved = {**vpc, "subnets": ["subnet-22222222", "subnet-33333333"]}
    assert cb.update_project(name=name, vpcConfig=moved)["project"]["vpcConfig"] == moved
    with pytest.raises(ClientError):
        cb.update_project(name=name, vpcConfig={**vpc, "securityGroupIds": [f"sg-{i:08x}" for i in range(6)]})
    assert cb.batch_get_projects(names=[name])["projects"][0]["vpcConfig"] == moved


def test_bucket_with_delete_markers_empties_after_versioning_is_suspended(
    sandbox: Sandbox, unique: Callable[[str], str]
) -> None:
    """Terraform's destroy suspends versioning (aws_s3_bucket_versioning goes first), then force_destroy deletes
    every version of every key, delete markers included (a state bucket's lockfiles leave them): each delete
    succeeds and the bucket deletes."""
    s3: Any = sandbox.client("s3")
    bucket = unique("markers")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for _ in range(2):
        s3.put_object(Bucket=bucket, Key="state.tflock", Body=b"lock")
        s3.delete_object(Bucket=bucket, Key="state.tflock")  # a delete marker on top
    s3.put_object(Bucket=bucket, Key="state", Body=b"{}")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    listing = s3.list_object_versions(Bucket=bucket)
    assert len(listing.get("DeleteMarkers", [])) == 2
    for key in ("state.tflock", "state"):
        answer = s3.delete_object(Bucket=bucket, Key=key)
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    listing = s3.list_object_versions(Bucket=bucket)
    for version in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=bucket)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
