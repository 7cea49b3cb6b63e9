"""What the applied roots' policies let the dev stage do, probed with its real credentials.

The dev deploy project's role is obtained as CodeBuild obtains it (the sandbox's service assume, decided by
the role's trust policy), then the dev registry role in tooling is assumed from it, as the deployer does.
Everything below runs under exactly the policies Terraform rendered.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
from botocore.exceptions import ClientError

from sandbox.testing import session_from
from tests.conftest import ACCOUNTS, REGION, Sandbox

TOOLING, DEV = ACCOUNTS["tooling"], ACCOUNTS["dev"]


def build_session(sandbox: Sandbox, role: str, project: str) -> boto3.Session:
    """A dev CodeBuild project's role, as CodeBuild gets it (trust policy, aws:SourceArn = the project)."""
    payload = {
        "service": "codebuild.amazonaws.com",
        "role_arn": f"arn:aws:iam::{DEV}:role/{role}",
        "source_arn": f"arn:aws:codebuild:{REGION}:{DEV}:project/{project}",
    }
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/sts/assume-role-as-service", data=json.dumps(payload).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return session_from(json.loads(answer.read())["Credentials"], REGION)


def dev_registry_session(sandbox: Sandbox, project: str) -> boto3.Session:
    """dev's deploy build role -> dev's registry role in tooling (as the deployer does)."""
    build = build_session(sandbox, f"{project}-dev-codebuild", f"{project}-dev-deploy")
    registry_role = f"arn:aws:iam::{TOOLING}:role/{project}-deployer-dev"
    creds = build.client("sts", endpoint_url=sandbox.url).assume_role(RoleArn=registry_role, RoleSessionName="probe")[
        "Credentials"
    ]
    return session_from(creds, REGION)


def model_key(project: str, platform: str | None) -> str:
    """The ledger's key prefix of the model whose resources are named `project` (its prefix, <platform>-<model>)."""
    model = project.removeprefix(f"{platform}-") if platform else project
    return f"MODEL#{model}#"


def refused(call: Any, **kwargs: Any) -> str:
    """The AccessDenied message of a call that must be refused (AssertionError if it is not)."""
    try:
        call(**kwargs)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        assert code in ("AccessDeniedException", "AccessDenied"), f"{call.__name__}: {code}"
        return str(exc.response["Error"]["Message"])
    raise AssertionError(f"{call.__name__}({kwargs}) was allowed")


def probe_test_role(sandbox: Sandbox, project: str, platform: str | None = None) -> None:
    """The team's Test action role: it may read and invoke its endpoint, never change it, write the ledger
    (directly or through the registry role) or start the next stage."""
    tester = build_session(sandbox, f"{project}-dev-codebuild-test", f"{project}-dev-test")
    sm: Any = tester.client("sagemaker", endpoint_url=sandbox.url)
    message = refused(sm.update_endpoint, EndpointName=f"{project}-dev", EndpointConfigName=f"{project}-dev-v1-x")
    assert "sagemaker:UpdateEndpoint" in message and f"assumed-role/{project}-dev-codebuild-test/" in message
    sts: Any = tester.client("sts", endpoint_url=sandbox.url)
    refused(sts.assume_role, RoleArn=f"arn:aws:iam::{TOOLING}:role/{project}-deployer-dev", RoleSessionName="probe")
    ddb: Any = tester.client("dynamodb", endpoint_url=sandbox.url)
    ledger = f"arn:aws:dynamodb:{REGION}:{TOOLING}:table/{platform or project}-ledger"
    own = f"{model_key(project, platform)}STAGE#dev"
    refused(ddb.put_item, TableName=ledger, Item={"pk": {"S": own}, "sk": {"S": "MARK#verified#1"}})
    events: Any = tester.client("events", endpoint_url=sandbox.url)
    bus = f"arn:aws:events:{REGION}:{ACCOUNTS['staging']}:event-bus/{project}-staging"
    entry = {"Source": "mlops.deployer", "DetailType": "Model Version Verified", "Detail": "{}", "EventBusName": bus}
    refused(events.put_events, Entries=[entry])


def dev_cannot_forge_other_stages(sandbox: Sandbox, project: str, platform: str | None = None) -> None:
    """The dev stage's real credentials write dev's records and nothing else: no staging or prod mark, no
    approval status, no other stage's history (the rendered policies, enforced by the sandbox)."""
    table = f"{platform or project}-ledger"
    bucket = f"{platform or project}-artifacts-{TOOLING}"
    registry = dev_registry_session(sandbox, project)
    ddb: Any = registry.client("dynamodb", endpoint_url=sandbox.url)
    sm: Any = registry.client("sagemaker", endpoint_url=sandbox.url)
    admin_sm: Any = sandbox.client("sagemaker")
    package = admin_sm.create_model_package(
        ModelPackageGroupName=project,
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": f"s3://{bucket}/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]

    try:
        _probe(ddb, sm, table, package, project, model_key(project, platform))
    finally:
        admin_sm.delete_model_package(ModelPackageName=package)  # the group must be empty to be destroyed


def _probe(ddb: Any, sm: Any, table: str, package: str, project: str, key: str) -> None:
    def item(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    ddb.put_item(TableName=table, Item=item(f"{key}STAGE#dev", "MARK#verified#0000000001"))  # its own: allowed
    for other in ("staging", "prod"):
        message = refused(ddb.put_item, TableName=table, Item=item(f"{key}STAGE#{other}", "MARK#verified#0000000001"))
        assert "dynamodb:PutItem" in message and f"assumed-role/{project}-deployer-dev/" in message
        refused(ddb.delete_item, TableName=table, Key=item(f"{key}STAGE#{other}", "HISTORY#1"))
        refused(
            sm.update_model_package,
            ModelPackageArn=package,
            CustomerMetadataProperties={f"deployer:verified:{other}": "forged"},
        )
    message = refused(sm.update_model_package, ModelPackageArn=package, ModelApprovalStatus="Rejected")
    assert "with an explicit deny" in message
    sm.update_model_package(ModelPackageArn=package, CustomerMetadataProperties={"deployer:verified:dev": "probe"})


def dev_reads_registered_metrics(sandbox: Sandbox, project: str, platform: str | None = None) -> None:
    """The metric gate's read under the rendered policies: the dev registry role reads a version's ModelMetrics
    document under models/ of the artifact bucket (s3:GetObject, and kms:Decrypt of the bucket's SSE-KMS key
    through S3), and nothing outside models/."""
    from deployer.config import RegistrySettings
    from deployer.registry import RegistryReader
    from deployer.registry_metrics import read_package_metrics

    bucket = f"{platform or project}-artifacts-{TOOLING}"
    document = {"binary_classification_metrics": {"auc": {"value": 0.91, "standard_deviation": 0.002}}}
    admin_s3: Any = sandbox.client("s3")
    admin_sm: Any = sandbox.client("sagemaker")
    keys = {"inside": "models/probe/statistics.json", "outside": "probe/statistics.json"}
    for key in keys.values():
        admin_s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode(), ContentType="application/json")
    statistics = {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/{keys['inside']}"}
    package = admin_sm.create_model_package(
        ModelPackageGroupName=project,
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": f"s3://{bucket}/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={"ModelQuality": {"Statistics": statistics}},
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    try:
        registry = dev_registry_session(sandbox, project)
        s3: Any = registry.client("s3", endpoint_url=sandbox.url)
        reader = RegistryReader(
            registry.client("sagemaker", endpoint_url=sandbox.url),
            RegistrySettings(project, TOOLING, REGION, ""),
            TOOLING,
            "",
        )
        assert read_package_metrics(reader, s3, package, 1).document == document
        message = refused(s3.get_object, Bucket=bucket, Key=keys["outside"])
        assert "s3:GetObject" in message and f"assumed-role/{project}-deployer-dev/" in message
    finally:
        admin_sm.delete_model_package(ModelPackageName=package)  # the group must be empty to be destroyed
        for key in keys.values():
            admin_s3.delete_object(Bucket=bucket, Key=key)


def platform_config_as(sandbox: Sandbox, project: str, role: str, build_project: str) -> dict[str, Any]:
    """The platform config read as a CodeBuild role reads it (its real policy): GetParameter, KMS through SSM."""
    from deployer.config import fetch_platform_config

    ssm: Any = build_session(sandbox, role, build_project).client("ssm", endpoint_url=sandbox.url)
    parameter = f"/{project}/dev/deployer/config"
    document = fetch_platform_config(ssm, parameter, account=DEV, role=role).document
    refused(ssm.get_parameter, Name=f"/{project}/dev/other", WithDecryption=True)  # only that parameter
    return document


def probe_platform_config(sandbox: Sandbox, project: str, platform: str | None = None) -> None:
    """Both dev CodeBuild roles read dev's platform config (deploy: the rollout; test: `deployer test`)."""
    for role, build_project in ((f"{project}-dev-codebuild", f"{project}-dev-deploy"),
                                (f"{project}-dev-codebuild-test", f"{project}-dev-test")):  # fmt: skip
        document = platform_config_as(sandbox, project, role, build_project)
        ledger = f"{platform or project}-ledger"
        assert document["endpoint"]["name"] == f"{project}-dev" and document["ledger"]["table_name"] == ledger
