"""One platform, many models: onboarding, isolation and removal, on the roots as a platform team runs them.

A platform file of its own (two models, churn and fraud) goes through envs/tooling and envs/stage (dev) with
scripts/tf-sandbox.sh, as the demo does, against a sandbox started for this module. Then, in order:

- onboarding a third model plans only that model's creations, in tooling and in dev (`terraform plan -json`);
- each of churn's roles, with its real credentials under the sandbox's IAM enforcement, is refused every write
  to fraud's endpoint, configs, models, platform config, repository, pipeline, ledger items, lock, marks and
  group, while the same call on churn's own resources is allowed (so a refusal is the policy, not a typo);
- a push to churn's repository starts churn's pipeline and not fraud's;
- removing fraud while its endpoint is live is refused before anything of it is destroyed; after its teardown
  the same apply removes it, and its ledger history stays.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.harness import running
from sandbox.testing import session_from
from tests.conftest import ACCOUNTS, REGION, REPO
from tests.terraform.envs_runner import SCRIPT, Envs, deployer_wheel, fail_message, preconditions
from tests.terraform.iam_probe import build_session, refused

pytestmark = pytest.mark.slow

TOOLING, DEV = ACCOUNTS["tooling"], ACCOUNTS["dev"]
PLATFORM = "ml"


def platform_file(path: Path, models: dict[str, dict[str, Any]]) -> Path:
    """envs/platform.tfvars with another models map (the rest as shipped)."""
    text = (REPO / "envs" / "platform.tfvars").read_text()
    start = text.index("models = {")
    depth, end = 0, start
    for end in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    path.write_text(f"{text[:start]}models = {json.dumps(models)}{text[end + 1 :]}")
    return path


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Envs]:
    preconditions()
    tmp = tmp_path_factory.mktemp("tf-models")
    wheel = deployer_wheel(tmp / "wheel")
    try:
        with running(tmp) as box:
            runner = Envs(box, wheel, tmp)
            runner.env["TF_SANDBOX_DATA_DIR"] = str(tmp / "tf-data")
            runner.env["TF_SANDBOX_PLATFORM_TFVARS"] = str(
                platform_file(tmp / "two.tfvars", {"churn": {}, "fraud": {}})
            )
            # Empty repositories: the isolation checks push their own commits.
            runner.env["TF_VAR_seed_mode"] = "none"
            for env_name in ("tooling", "dev"):
                proc = runner.run(env_name, "apply", "-auto-approve")
                assert proc.returncode == 0, fail_message(f"{env_name}: apply", proc)
            yield runner
    finally:
        shutil.rmtree(tmp / "wheel", ignore_errors=True)


def planned_changes(envs: Envs, env_name: str, platform_tfvars: Path) -> dict[str, list[str]]:
    """Address -> actions of every resource change that is not a no-op, from `terraform plan -json`."""
    env = {**envs.env, "TF_SANDBOX_PLATFORM_TFVARS": str(platform_tfvars)}
    plan = envs.log_dir / f"{env_name}-{platform_tfvars.stem}.tfplan"
    for args in (["plan", f"-out={plan}", "-no-color", "-input=false"], ["show", "-json", str(plan)]):
        proc = subprocess.run(
            [str(SCRIPT), env_name, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
        )
        assert proc.returncode == 0, fail_message(f"{env_name}: {args[0]}", proc)
    changes = json.loads(proc.stdout).get("resource_changes", [])
    return {c["address"]: c["change"]["actions"] for c in changes if c["change"]["actions"] != ["no-op"]}


def test_onboarding_a_model_plans_only_its_own_resources(fleet: Envs) -> None:
    three = platform_file(fleet.log_dir / "three.tfvars", {"churn": {}, "fraud": {}, "risk": {}})
    for env_name in ("tooling", "dev"):
        changes = planned_changes(fleet, env_name, three)
        assert changes, f"{env_name}: onboarding risk planned nothing"
        others = {a: acts for a, acts in changes.items() if not a.startswith('module.model["risk"].')}
        assert not others, f"{env_name}: onboarding risk touches other resources: {others}"
        assert all(acts == ["create"] for acts in changes.values()), f"{env_name}: not only creations: {changes}"


def _state(envs: Envs, model: str) -> list[str]:
    """The dev root's state addresses of one model (`terraform state list` takes no -input flag)."""
    proc = subprocess.run(
        [str(SCRIPT), "dev", "state", "list"], cwd=REPO, env=envs.env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, fail_message("dev: state list", proc)
    return [line for line in proc.stdout.splitlines() if line.startswith(f'module.model["{model}"].')]


def _admin(envs: Envs, service: str, account: str) -> Any:
    return envs.sandbox.client(service, account=account)


def _register_version(envs: Envs, group: str) -> str:
    sm = _admin(envs, "sagemaker", "tooling")
    return str(
        sm.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [{"Image": f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/x:1", "ModelDataUrl": "s3://b/m"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
    )


def _allowed(call: Any, **kwargs: Any) -> None:
    """The control: the same call on the model's own resource passes IAM (any other error is fine)."""
    try:
        call(**kwargs)
    except Exception as exc:  # only an access denial fails the control
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        assert code not in ("AccessDeniedException", "AccessDenied"), f"{call.__name__} on its own resource: {exc}"


def test_a_models_roles_cannot_write_another_models_resources(fleet: Envs) -> None:
    url = fleet.sandbox.url
    own, other = f"{PLATFORM}-churn", f"{PLATFORM}-fraud"
    other_package = _register_version(fleet, other)
    own_package = _register_version(fleet, own)

    # The deploy role (deploy, promote, plan, rollback and teardown builds run as it).
    deploy = build_session(fleet.sandbox, f"{own}-dev-codebuild", f"{own}-dev-deploy")
    sm: Any = deploy.client("sagemaker", endpoint_url=url)
    variant = {"VariantName": "AllTraffic", "ModelName": f"{other}-dev-v1-x", "InitialInstanceCount": 1}
    variant["InstanceType"] = "ml.m5.large"
    refused(sm.create_endpoint_config, EndpointConfigName=f"{other}-dev-v1-x", ProductionVariants=[variant])
    _allowed(sm.create_endpoint_config, EndpointConfigName=f"{own}-dev-v1-x", ProductionVariants=[variant])
    refused(sm.update_endpoint, EndpointName=f"{other}-dev", EndpointConfigName=f"{other}-dev-v1-x")
    refused(sm.delete_endpoint, EndpointName=f"{other}-dev")
    refused(sm.delete_model, ModelName=f"{other}-dev-v1-x")
    ssm: Any = deploy.client("ssm", endpoint_url=url)
    refused(ssm.get_parameter, Name=f"/{other}/dev/deployer/config", WithDecryption=True)
    _allowed(ssm.get_parameter, Name=f"/{own}/dev/deployer/config", WithDecryption=True)
    pipelines: Any = deploy.client("codepipeline", endpoint_url=url)
    refused(pipelines.start_pipeline_execution, name=f"{other}-dev")

    # The registry role in tooling, assumed from the deploy role as the deployer does.
    sts: Any = deploy.client("sts", endpoint_url=url)
    refused(sts.assume_role, RoleArn=f"arn:aws:iam::{TOOLING}:role/{other}-deployer-dev", RoleSessionName="probe")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{TOOLING}:role/{own}-deployer-dev", RoleSessionName="probe")
    registry = session_from(creds["Credentials"], REGION)
    ddb: Any = registry.client("dynamodb", endpoint_url=url)
    table = f"{PLATFORM}-ledger"
    for pk in ("MODEL#fraud#STAGE#dev", "MODEL#fraud#VERSION#1", f"LOCK#{other}-dev"):
        refused(ddb.put_item, TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "MARK#verified#0000000001"}})
        refused(
            ddb.query, TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": pk}}
        )
    _allowed(ddb.put_item, TableName=table, Item={"pk": {"S": "MODEL#churn#STAGE#dev"}, "sk": {"S": "PROBE"}})
    registry_sm: Any = registry.client("sagemaker", endpoint_url=url)
    marks = {"deployer:verified:dev": "2026-12-07T00:00:00Z"}
    refused(registry_sm.update_model_package, ModelPackageArn=other_package, CustomerMetadataProperties=marks)
    _allowed(registry_sm.update_model_package, ModelPackageArn=own_package, CustomerMetadataProperties=marks)
    refused(registry_sm.list_model_packages, ModelPackageGroupName=other)

    # The test role (the team's smoke tests): nothing of the other model's endpoint.
    tester = build_session(fleet.sandbox, f"{own}-dev-codebuild-test", f"{own}-dev-test")
    runtime: Any = tester.client("sagemaker-runtime", endpoint_url=url)
    refused(runtime.invoke_endpoint, EndpointName=f"{other}-dev", Body=b"1", ContentType="text/csv")


def test_a_push_to_one_models_repository_starts_only_its_pipeline(fleet: Envs) -> None:
    cc = _admin(fleet, "codecommit", "dev")
    cp = _admin(fleet, "codepipeline", "dev")
    own, other = f"{PLATFORM}-churn-dev", f"{PLATFORM}-fraud-dev"

    def runs(pipeline: str) -> int:
        return len(cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"])

    before = runs(own), runs(other)
    cc.put_file(repositoryName=own, branchName="main", fileContent=b"{}", filePath="config/dev.json")
    assert runs(own) == before[0] + 1, "the push to churn's repository did not start churn's pipeline"
    assert runs(other) == before[1], "a push to churn's repository started fraud's pipeline"


def test_removing_a_model_with_a_live_endpoint_is_refused_until_teardown(fleet: Envs) -> None:
    other = f"{PLATFORM}-fraud-dev"
    sm = _admin(fleet, "sagemaker", "dev")
    role = f"arn:aws:iam::{DEV}:role/{other}-sagemaker-execution"
    container = {"Image": f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/x:1", "ModelDataUrl": "s3://b/m.tar.gz"}
    sm.create_model(ModelName=f"{other}-v1-live", ExecutionRoleArn=role, PrimaryContainer=container)
    variant = {"VariantName": "AllTraffic", "ModelName": f"{other}-v1-live", "InitialInstanceCount": 1}
    variant["InstanceType"] = "ml.m5.large"
    sm.create_endpoint_config(EndpointConfigName=f"{other}-v1-live", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=other, EndpointConfigName=f"{other}-v1-live")
    ledger = _admin(fleet, "dynamodb", "tooling")
    history = {"pk": {"S": "MODEL#fraud#STAGE#dev"}, "sk": {"S": "HISTORY#2026-12-07T00:00:00.000000Z#probe"}}
    ledger.put_item(TableName=f"{PLATFORM}-ledger", Item=history)

    only_churn = platform_file(fleet.log_dir / "churn-only.tfvars", {"churn": {}})
    fleet.env["TF_SANDBOX_PLATFORM_TFVARS"] = str(only_churn)
    refused_apply = fleet.run("dev", "apply", "-auto-approve")
    assert refused_apply.returncode != 0, "removing fraud with a live endpoint was applied"
    output = refused_apply.stdout + refused_apply.stderr
    assert f"endpoint {other} exists" in output and f"{other}-teardown" in output, output[-3000:]
    fraud = _state(fleet, "fraud")
    assert len(fraud) > 30 and 'module.model["fraud"].aws_iam_role.execution' in fraud, "fraud lost resources"

    sm.delete_endpoint(EndpointName=other)  # what its teardown build does
    removed = fleet.run("dev", "apply", "-auto-approve")
    assert removed.returncode == 0, fail_message("dev: apply after teardown", removed)
    assert not _state(fleet, "fraud"), "fraud's resources are still there after its removal"
    assert _state(fleet, "churn"), "removing fraud touched churn"
    kept = ledger.get_item(TableName=f"{PLATFORM}-ledger", Key=history)
    assert "Item" in kept, "fraud's ledger history went with the model"
