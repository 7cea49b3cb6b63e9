"""Keys, artifacts, identity, and the delivery services the modules and buildspecs drive."""

from __future__ import annotations

from sandbox.harness import Sandbox
from tests.sandbox.contract.calls_sagemaker import Unique, fails
from tests.sandbox.contract.recorder import Recorder

IMAGE = "aws/codebuild/standard:7.0"


def kms(box: Sandbox, rec: Recorder, unique: Unique) -> None:
    client = rec.attach(box.client("kms", "tooling"))
    key = client.create_key(Description="contract", Tags=[{"TagKey": "team", "TagValue": "churn"}])["KeyMetadata"]
    client.describe_key(KeyId=key["KeyId"])
    alias = f"alias/{unique('contract')}"
    client.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    client.describe_key(KeyId=alias)
    client.list_aliases(KeyId=key["KeyId"])
    sealed = client.encrypt(KeyId=alias, Plaintext=b"secret")["CiphertextBlob"]
    client.decrypt(CiphertextBlob=sealed)
    client.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    client.list_resource_tags(KeyId=key["KeyId"])
    fails(client.describe_key, KeyId="alias/nowhere-at-all")


def s3(box: Sandbox, rec: Recorder, unique: Unique) -> None:
    client = rec.attach(box.client("s3", "tooling"))
    bucket = unique("contract")
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="model.tar.gz", Body=b"weights")
    client.head_object(Bucket=bucket, Key="model.tar.gz")
    client.get_object(Bucket=bucket, Key="model.tar.gz")["Body"].read()
    fails(client.head_object, Bucket=bucket, Key="nowhere")
    fails(client.get_object, Bucket=bucket, Key="nowhere")


def identity(box: Sandbox, rec: Recorder, unique: Unique, role: str) -> None:
    sts = rec.attach(box.client("sts", "tooling"))
    sts.get_caller_identity()
    dev = role.split(":")[4]
    sts.assume_role(RoleArn=f"arn:aws:iam::{dev}:role/OrganizationAccountAccessRole", RoleSessionName="contract")
    iam = rec.attach(box.client("iam", "dev"))
    iam.get_role(RoleName=role.rsplit("/", 1)[-1])
    fails(iam.get_role, RoleName=unique("nowhere"))


def codecommit(box: Sandbox, rec: Recorder, unique: Unique) -> None:
    client = rec.attach(box.client("codecommit", "tooling"))
    repo = unique("repo")
    client.create_repository(repositoryName=repo, repositoryDescription="contract")
    client.get_repository(repositoryName=repo)
    client.create_commit(
        repositoryName=repo, branchName="main", putFiles=[{"filePath": "seed.json", "fileContent": b"{}"}]
    )
    client.get_branch(repositoryName=repo, branchName="main")
    client.get_file(repositoryName=repo, commitSpecifier="main", filePath="seed.json")
    fails(client.get_repository, repositoryName=unique("nowhere"))


def codebuild(box: Sandbox, rec: Recorder, unique: Unique, role: str) -> None:
    client = rec.attach(box.client("codebuild", "tooling"))
    name = unique("project")
    client.create_project(
        name=name, source={"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases: {}\n"},
        artifacts={"type": "NO_ARTIFACTS"}, serviceRole=role,
        environment={"type": "LINUX_CONTAINER", "image": IMAGE, "computeType": "BUILD_GENERAL1_SMALL"},
    )  # fmt: skip
    client.batch_get_projects(names=[name])
    client.list_projects()
    client.list_builds_for_project(projectName=name)
    client.delete_project(name=name)


def codepipeline(box: Sandbox, rec: Recorder, unique: Unique) -> None:
    client = rec.attach(box.client("codepipeline", "tooling"))
    client.list_pipelines()
    fails(client.get_pipeline, name=unique("nowhere"))
    fails(client.get_pipeline_state, name=unique("nowhere"))


def logs(box: Sandbox, rec: Recorder, unique: Unique) -> None:
    client = rec.attach(box.client("logs", "tooling"))
    group = f"/aws/codebuild/{unique('contract')}"
    client.create_log_group(logGroupName=group)
    client.put_retention_policy(logGroupName=group, retentionInDays=30)
    client.describe_log_groups(logGroupNamePrefix=group)
    client.create_log_stream(logGroupName=group, logStreamName="build")
    client.put_log_events(
        logGroupName=group, logStreamName="build", logEvents=[{"timestamp": 1_700_000_000_000, "message": "hi"}]
    )
    client.get_log_events(logGroupName=group, logStreamName="build")
    fails(client.create_log_group, logGroupName=group)
