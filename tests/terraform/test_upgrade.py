"""A single-model installation upgrades in place to the platform layout: nothing that runs is destroyed.

Today's layout is the last single-model commit of main (envs/tooling with module.registry, envs/dev with
module.stage, project "churn"), taken from git history and applied to a sandbox as its own scripts applied it.
A live endpoint, a registered version and ledger history are put beside it. Then the procedure of docs/models.md:
a platform file (platform = prefix = churn), scripts/upgrade-to-models.sh for tooling and dev, `terraform plan
-json` on the new roots (no delete, no replace), apply, and the endpoint, group, ledger table and history are the
same objects as before.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.harness import running
from tests.conftest import ACCOUNTS, REGION, REPO
from tests.terraform.envs_runner import SCRIPT, Envs, deployer_wheel, fail_message, preconditions

pytestmark = pytest.mark.slow

# The last commit of the single-model layout (before modules/catalog and the registry split).
SINGLE_MODEL_COMMIT = "fb52a5e525abb78e431c87fcc16c24b21769dbd5"
UPGRADE = REPO / "scripts" / "upgrade-to-models.sh"
TOOLING, DEV = ACCOUNTS["tooling"], ACCOUNTS["dev"]


def checkout_single_model(into: Path) -> Path:
    """envs, modules, seed and scripts of the single-model commit (needs main's history: a full clone)."""
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", SINGLE_MODEL_COMMIT, "envs", "modules", "seed", "scripts"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"git archive {SINGLE_MODEL_COMMIT} failed (a shallow clone lacks main's history): {exc.stderr!r}")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def platform_file(path: Path) -> Path:
    """The platform file an upgraded installation writes: its old project as platform and as the model's prefix."""
    text = (REPO / "envs" / "platform.tfvars").read_text()
    text = text.replace('platform           = "ml"', 'platform           = "churn"', 1)
    start = text.index("models = {")
    depth, end = 0, start
    for end in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    models = {"churn": {"prefix": "churn"}}
    path.write_text(f"{text[:start]}models = {json.dumps(models)}{text[end + 1 :]}")
    assert 'platform           = "churn"' in path.read_text(), "envs/platform.tfvars changed shape"
    return path


class Legacy:
    """The single-model checkout's own scripts/tf-sandbox.sh, against the test's sandbox."""

    def __init__(self, envs: Envs, root: Path) -> None:
        self.envs, self.root = envs, root

    def run(self, env_name: str, *args: str) -> subprocess.CompletedProcess[str]:
        script = self.root / "scripts" / "tf-sandbox.sh"
        return subprocess.run(
            [str(script), env_name, *args],
            cwd=self.root,
            env=self.envs.env,
            capture_output=True,
            text=True,
            timeout=1800,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Envs]:
    """The single-model layout applied (tooling and dev), with a live endpoint, a version and history."""
    preconditions()
    tmp = tmp_path_factory.mktemp("tf-upgrade")
    with running(tmp) as box:
        envs = Envs(box, deployer_wheel(tmp / "wheel"), tmp)
        envs.env["TF_VAR_seed_mode"] = "none"
        legacy = Legacy(envs, checkout_single_model(tmp / "single-model"))
        for env_name in ("tooling", "dev"):
            proc = legacy.run(env_name, "apply", "-auto-approve", "-no-color", "-input=false")
            assert proc.returncode == 0, fail_message(f"single-model {env_name}: apply", proc)
        yield envs


def _live_objects(envs: Envs) -> dict[str, Any]:
    """What must survive the upgrade, by identity (ARNs and creation times, not only names)."""
    sm_dev = envs.sandbox.client("sagemaker", account="dev")
    sm_tooling = envs.sandbox.client("sagemaker", account="tooling")
    ddb = envs.sandbox.client("dynamodb", account="tooling")
    endpoint = sm_dev.describe_endpoint(EndpointName="churn-dev")
    group = sm_tooling.describe_model_package_group(ModelPackageGroupName="churn")
    table = ddb.describe_table(TableName="churn-ledger")["Table"]
    history = ddb.query(
        TableName="churn-ledger", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "STAGE#dev"}}
    )["Items"]
    return {
        "endpoint": (endpoint["EndpointArn"], str(endpoint["CreationTime"]), endpoint["EndpointConfigName"]),
        "group": (group["ModelPackageGroupArn"], str(group["CreationTime"])),
        "versions": len(sm_tooling.list_model_packages(ModelPackageGroupName="churn")["ModelPackageSummaryList"]),
        "table": (table["TableArn"], str(table["CreationDateTime"])),
        "history": history,
        "execution_role": envs.sandbox.client("iam", account="dev").get_role(RoleName="churn-dev-sagemaker-execution")[
            "Role"
        ]["RoleId"],
    }


def _put_live_things(envs: Envs) -> None:
    sm = envs.sandbox.client("sagemaker", account="dev")
    role = f"arn:aws:iam::{DEV}:role/churn-dev-sagemaker-execution"
    container = {"Image": f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/x:1", "ModelDataUrl": "s3://b/m.tar.gz"}
    sm.create_model(ModelName="churn-dev-v1-live", ExecutionRoleArn=role, PrimaryContainer=container)
    variant = {"VariantName": "AllTraffic", "ModelName": "churn-dev-v1-live", "InitialInstanceCount": 1}
    variant["InstanceType"] = "ml.m5.large"
    sm.create_endpoint_config(EndpointConfigName="churn-dev-v1-live", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="churn-dev", EndpointConfigName="churn-dev-v1-live")
    envs.sandbox.client("sagemaker", account="tooling").create_model_package(
        ModelPackageGroupName="churn",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [container],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    item = {"pk": {"S": "STAGE#dev"}, "sk": {"S": "HISTORY#2026-12-01T00:00:00.000000Z#before-upgrade"}}
    envs.sandbox.client("dynamodb", account="tooling").put_item(TableName="churn-ledger", Item=item)


def _ledger_migrated(envs: Envs, history: list[dict[str, Any]]) -> None:
    """The procedure's last step: the history copied to the model's keys, as the operator runs it in tooling."""
    creds = envs.sandbox.session("tooling").get_credentials().get_frozen_credentials()
    env = {**envs.env, "AWS_ACCESS_KEY_ID": creds.access_key, "AWS_SECRET_ACCESS_KEY": creds.secret_key}
    env["AWS_SESSION_TOKEN"] = creds.token or ""
    command = [sys.executable, "-m", "deployer", "ledger-migrate", "--model", "churn", "--table", "churn-ledger"]
    proc = subprocess.run([*command, "--region", REGION], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, fail_message("deployer ledger-migrate", proc)
    ddb = envs.sandbox.client("dynamodb", account="tooling")
    key = {":p": {"S": "MODEL#churn#STAGE#dev"}}
    items = ddb.query(TableName="churn-ledger", KeyConditionExpression="pk = :p", ExpressionAttributeValues=key)
    assert {i["sk"]["S"] for i in items["Items"]} == {i["sk"]["S"] for i in history}, items["Items"]


def _new_root(envs: Envs, env_name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), env_name, *args], cwd=REPO, env=envs.env, capture_output=True, text=True, timeout=1800
    )


def test_single_model_installation_upgrades_in_place(installed: Envs, tmp_path: Path) -> None:
    envs = installed
    _put_live_things(envs)
    before = _live_objects(envs)

    # The new roots read the same state (bucket and keys), from data dirs of their own.
    envs.env["TF_SANDBOX_DATA_DIR"] = str(tmp_path / "tf-data")
    envs.env["TF_SANDBOX_PLATFORM_TFVARS"] = str(platform_file(tmp_path / "platform.tfvars"))
    for env_name, root in (("tooling", "tooling"), ("dev", "stage")):
        init = _new_root(envs, env_name, "state", "list")  # tf-sandbox.sh initialises the backend first
        assert init.returncode == 0, fail_message(f"{env_name}: state list", init)
        move = subprocess.run(
            [str(UPGRADE), root, "churn"],
            cwd=REPO,
            env={**envs.env, "TERRAFORM": f"{SCRIPT} {env_name}"},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert move.returncode == 0, fail_message(f"{env_name}: upgrade-to-models.sh", move)
        assert "moved" in move.stdout, move.stdout

        plan = tmp_path / f"{env_name}.tfplan"
        for args in (["plan", f"-out={plan}", "-no-color", "-input=false"], ["show", "-json", str(plan)]):
            proc = _new_root(envs, env_name, *args)
            assert proc.returncode == 0, fail_message(f"{env_name}: {args[0]}", proc)
        changes = json.loads(proc.stdout).get("resource_changes", [])
        destructive = {c["address"]: c["change"]["actions"] for c in changes if "delete" in c["change"]["actions"]}
        assert not destructive, f"{env_name}: the upgrade would destroy or replace {destructive}"
        applied = _new_root(envs, env_name, "apply", "-auto-approve", "-no-color", "-input=false", str(plan))
        assert applied.returncode == 0, fail_message(f"{env_name}: apply", applied)

        again = subprocess.run(
            [str(UPGRADE), root, "churn"],
            cwd=REPO,
            env={**envs.env, "TERRAFORM": f"{SCRIPT} {env_name}"},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert again.returncode == 0 and "nothing to move" in again.stdout, again.stdout + again.stderr

    after = _live_objects(envs)
    assert after == before, f"the upgrade changed what runs:\nbefore {before}\nafter  {after}"
    _ledger_migrated(envs, before["history"])
    config = envs.sandbox.client("ssm", account="dev").get_parameter(
        Name="/churn/dev/deployer/config", WithDecryption=True
    )["Parameter"]["Value"]
    assert json.loads(config)["model"] == "churn" and json.loads(config)["platform"] == "churn"
