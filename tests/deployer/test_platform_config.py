"""The platform config in SSM (DEPLOYER_PLATFORM_CONFIG) under the team's config/<stage>.json.

Terraform owns the platform facts and writes them to an SSM SecureString; the team owns config/<stage>.json in
the repository and may set only the team keys. Seeding never overwrites the team's files, and a change of
platform facts reaches the deployer through SSM without touching the repository.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployer.config import TEAM_KEYS, PlatformConfig, fetch_platform_config, load_stage_config
from deployer.errors import ConfigError
from tests.conftest import ACCOUNTS, REGION, REPO, Sandbox

FULL = REPO / "examples" / "stage" / "dev.json"
SEED = REPO / "seed"
DEV = ACCOUNTS["dev"]


def platform_doc() -> dict[str, Any]:
    return dict(json.loads(FULL.read_text()))


def team_dir(tmp_path: Path, team: dict[str, Any] | None) -> Path:
    config_dir = tmp_path / "config"
    config_dir.mkdir(exist_ok=True)
    if team is not None:
        (config_dir / "dev.json").write_text(json.dumps(team))
    return config_dir


def load(config_dir: Path, doc: dict[str, Any]) -> Any:
    return load_stage_config(config_dir, "dev", platform=lambda: PlatformConfig("/churn/dev/deployer/config", doc))


def test_team_keys_override_the_platform_defaults(tmp_path: Path) -> None:
    team = {
        "schema_version": 1,
        "deployment": {"strategy": "linear", "step": {"type": "CAPACITY_PERCENT", "value": 20}},
        "autoscaling": {"max_capacity": 6},
        "endpoint": {"instance_type": "ml.c5.xlarge"},
    }
    config = load(team_dir(tmp_path, team), platform_doc())
    assert config.deployment.strategy == "linear" and config.deployment.step is not None
    assert config.deployment.step.value == 20
    assert config.autoscaling.max_capacity == 6 and config.autoscaling.min_capacity == 2  # the rest: platform's
    assert config.endpoint.instance_type == "ml.c5.xlarge" and config.endpoint.name == "churn-dev"
    assert config.deployment.rollback_alarms == ("churn-dev-invocation-5xx", "churn-dev-model-latency")
    assert config.source.endswith("dev.json over ssm:/churn/dev/deployer/config")


def test_no_team_file_means_the_platform_defaults(tmp_path: Path) -> None:
    config = load(team_dir(tmp_path, None), platform_doc())
    assert config.deployment.strategy == "canary" and config.source == "ssm:/churn/dev/deployer/config"


@pytest.mark.parametrize(
    ("team", "field"),
    [
        ({"endpoint": {"name": "someone-elses-endpoint"}}, "endpoint.name"),
        ({"endpoint": {"execution_role_arn": f"arn:aws:iam::{DEV}:role/admin"}}, "endpoint.execution_role_arn"),
        ({"ledger": {"table_name": "other"}}, "ledger"),
        ({"deployment": {"rollback_alarms": []}}, "deployment.rollback_alarms"),
        ({"tags": {"team": "x"}}, "tags"),
        ({"data_capture": {"destination_s3_uri": "s3://elsewhere/x"}}, "data_capture.destination_s3_uri"),
        # who the stage is: the platform's, even when its (older) config does not say it yet
        ({"model": "fraud"}, "model"),
        ({"platform": "elsewhere"}, "platform"),
    ],
)
def test_a_team_file_setting_a_platform_key_is_refused(tmp_path: Path, team: dict[str, Any], field: str) -> None:
    config_dir = team_dir(tmp_path, {"schema_version": 1, "autoscaling": {"max_capacity": 6}, **team})
    fetched: list[str] = []

    def platform() -> PlatformConfig:
        fetched.append("ssm")
        return PlatformConfig("/churn/dev/deployer/config", platform_doc())

    with pytest.raises(ConfigError) as caught:
        load_stage_config(config_dir, "dev", platform=platform)
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert problem.startswith(f"{config_dir / 'dev.json'}: {field}: owned by the platform")
    assert "/churn/dev/deployer/config" in problem
    assert "(allowed: the team keys " + ", ".join(TEAM_KEYS) + ")" in problem


def test_the_platform_config_names_the_model_and_the_platform(tmp_path: Path) -> None:
    doc = {**platform_doc(), "model": "churn", "platform": "acme"}
    config = load(team_dir(tmp_path, {"schema_version": 1}), doc)
    assert (config.model, config.platform, config.project) == ("churn", "acme", "churn")
    # an older platform config (project only): its project is the model
    single = {k: v for k, v in platform_doc().items() if k not in ("model", "platform")}
    old = load(team_dir(tmp_path, {"schema_version": 1}), single)
    assert (old.model, old.platform, old.project) == ("churn", "", "churn")


def test_a_template_file_tag_is_a_platform_key_too(tmp_path: Path) -> None:
    """The SageMaker Projects overlay still maps its Parameters onto team keys; its Tags are the platform's."""
    config_dir = team_dir(tmp_path, None)
    (config_dir / "dev-config.json").write_text(json.dumps({"Parameters": {"EndpointInstanceCount": "3"}}))
    assert load(config_dir, platform_doc()).endpoint.instance_count == 3
    (config_dir / "dev-config.json").write_text(json.dumps({"Parameters": {}, "Tags": {"cost": "x"}}))
    with pytest.raises(ConfigError, match=r"dev-config.json: tags: owned by the platform"):
        load(config_dir, platform_doc())


def test_problems_name_the_source_that_set_the_field(tmp_path: Path) -> None:
    doc = platform_doc()
    doc["endpoint"]["kms_key_arn"] = "not-a-key"
    config_dir = team_dir(tmp_path, {"autoscaling": {"min_capacity": 0}})
    with pytest.raises(ConfigError) as caught:
        load(config_dir, doc)
    problems = "\n".join(caught.value.problems)
    assert f"{config_dir / 'dev.json'}: autoscaling.min_capacity:" in problems
    assert "ssm:/churn/dev/deployer/config: endpoint.kms_key_arn:" in problems


def test_unknown_team_keys_are_left_to_validation(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dev.json: autoscaling.maximum: unknown key"):
        load(team_dir(tmp_path, {"autoscaling": {"maximum": 3}}), platform_doc())


class _Missing:
    def get_parameter(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "ParameterNotFound", "Message": "no"}}, "GetParameter")


def test_a_missing_parameter_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"DEPLOYER_PLATFORM_CONFIG=/x/y: \(parameter\): ParameterNotFound"):
        fetch_platform_config(_Missing(), "/x/y")


# ---------------------------------------------------------------------------------------------------------------------
# Through the sandbox: seeding keeps the team's files; the deployer sees Terraform's new facts from SSM.


def seed(sandbox: Sandbox, repo: str, source: Path) -> dict[str, Any]:
    """What the stage module's local-exec runs."""
    sandbox.ensure_admin_role(DEV, "terraform")
    proc = subprocess.run(
        [sys.executable, "-m", "deployer", "--output", "json", "seed-repo", "--repository-name", repo,
         "--branch", "main", "--source-dir", str(source), "--region", REGION,
         "--seed-file", f"config/dev.json={source / 'config' / 'stage.json.example'}",
         "--role-arn", f"arn:aws:iam::{DEV}:role/terraform"],
        env={**os.environ, **sandbox.env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


def put_platform(ssm: Any, name: str, key: str, doc: dict[str, Any]) -> None:
    ssm.put_parameter(Name=name, Type="SecureString", KeyId=key, Value=json.dumps(doc), Overwrite=True)


def test_reapply_keeps_the_teams_files_and_the_deployer_sees_new_platform_facts(
    sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path
) -> None:
    repo, name = unique("team-repo"), f"/{unique('churn')}/dev/deployer/config"
    cc: Any = sandbox.client("codecommit", "dev")
    ssm: Any = sandbox.client("ssm", "dev")
    key = sandbox.client("kms", "dev").create_key()["KeyMetadata"]["Arn"]
    cc.create_repository(repositoryName=repo)
    platform = platform_doc()
    put_platform(ssm, name, key, platform)
    source = tmp_path / "seed"
    subprocess.run(["cp", "-r", str(SEED), str(source)], check=True)

    first = seed(sandbox, repo, source)
    assert "config/dev.json" in first["changed"] and "config/stage.json.example" not in first["changed"]

    def content(path: str) -> bytes:
        return bytes(cc.get_file(repositoryName=repo, filePath=path)["fileContent"])

    assert json.loads(content("config/dev.json")) == {"schema_version": 1}  # team keys only

    # The team edits its Test buildspec and its config.
    team_buildspec = content("buildspecs/test.yml") + b"# our extra tests\n"
    team_config = json.dumps({"schema_version": 1, "deployment": {"strategy": "all_at_once"}}).encode()
    head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    cc.create_commit(repositoryName=repo, branchName="main", parentCommitId=head, commitMessage="ours",
                     putFiles=[{"filePath": "buildspecs/test.yml", "fileContent": team_buildspec},
                               {"filePath": "config/dev.json", "fileContent": team_config}])  # fmt: skip

    # Terraform re-applies with new facts (role, table, alarms) and a changed seed; the seed runs again.
    platform = copy.deepcopy(platform)
    platform["endpoint"]["execution_role_arn"] = f"arn:aws:iam::{DEV}:role/churn-dev-sagemaker-execution-v2"
    platform["ledger"]["table_name"] = "churn-ledger-v2"
    platform["deployment"]["rollback_alarms"] = ["churn-dev-invocation-5xx"]
    put_platform(ssm, name, key, platform)
    (source / "buildspecs" / "test.yml").write_text((source / "buildspecs" / "test.yml").read_text() + "# v2\n")
    (source / "config" / "stage.json.example").write_text('{\n  "schema_version": 1,\n  "smoke_tests": {}\n}\n')
    again = seed(sandbox, repo, source)
    assert sorted(again["kept"]) == ["buildspecs/test.yml", "config/dev.json"]
    assert content("buildspecs/test.yml") == team_buildspec and content("config/dev.json") == team_config

    # The deployer: the repository's team file over the SSM parameter, read as the deploy would.
    config_dir = tmp_path / "checkout" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "dev.json").write_bytes(content("config/dev.json"))
    config = load_stage_config(config_dir, "dev", platform=lambda: fetch_platform_config(ssm, name))
    assert config.deployment.strategy == "all_at_once"  # the team's choice
    assert config.endpoint.execution_role_arn.endswith("execution-v2") and config.ledger.table_name == "churn-ledger-v2"
    assert config.deployment.rollback_alarms == ("churn-dev-invocation-5xx",)


def test_cli_refuses_a_platform_key_before_any_change(
    sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path
) -> None:
    name = f"/{unique('churn')}/dev/deployer/config"
    ssm: Any = sandbox.client("ssm", "dev")
    ssm.put_parameter(Name=name, Type="SecureString", Value=json.dumps(platform_doc()))
    config_dir = team_dir(tmp_path, {"endpoint": {"name": "prod-endpoint"}})
    creds = sandbox.session("dev").get_credentials().get_frozen_credentials()
    env = {**os.environ, **sandbox.env, "DEPLOYER_PLATFORM_CONFIG": name, "AWS_ACCESS_KEY_ID": creds.access_key,
           "AWS_SECRET_ACCESS_KEY": creds.secret_key, "AWS_SESSION_TOKEN": creds.token}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "deployer", "--config-dir", str(config_dir), "deploy", "--stage", "dev"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert f"{config_dir / 'dev.json'}: endpoint.name: owned by the platform" in proc.stderr
    assert "allowed: the team keys schema_version, endpoint.instance_type" in proc.stderr
