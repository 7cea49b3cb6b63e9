"""Stage config validation: every field, several problems at once, the Projects template overlay. No AWS."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from deployer.config import discover_stages, load_stage_config
from deployer.errors import ConfigError
from tests.conftest import REPO

SEED_DEV = REPO / "examples" / "stage" / "dev.json"  # the full shape: platform config and team keys merged


def base_doc() -> dict[str, Any]:
    return dict(json.loads(SEED_DEV.read_text()))


def write(tmp_path: Path, doc: Any, name: str = "dev.json") -> Path:
    config_dir = tmp_path / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / name).write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return config_dir


def problems(tmp_path: Path, doc: Any, stage: str = "dev") -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_stage_config(write(tmp_path, doc, f"{stage}.json"), stage)
    return exc.value.problems


def test_seed_dev_config_is_valid() -> None:
    config = load_stage_config(SEED_DEV.parent, "dev")
    assert config.endpoint.name == "churn-dev"
    assert config.deployment.strategy == "canary"
    assert config.deployment.step is not None and config.deployment.step.value == 50
    assert config.deployment.rollback_alarms == ("churn-dev-invocation-5xx", "churn-dev-model-latency")
    assert config.registry.group_name == "churn"
    assert config.registry.group_arn == "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn"
    assert config.target.role_arn == ""
    assert config.tags == {"team": "ml-platform"}


# (path in the document, bad value, field named in the message, text of the allowed part)
FIELD_CASES = [
    (("schema_version",), 2, "schema_version", "allowed: 1"),
    (("project",), "Churn!", "project", "allowed: ^[a-z0-9-]{1,40}$"),
    (("model",), "Churn!", "model", "allowed: ^[a-z0-9-]{1,40}$"),
    (("model",), 7, "model", "allowed: ^[a-z0-9-]{1,40}$"),
    (("platform",), "my platform", "platform", 'allowed: ^[a-z0-9-]{1,40}$ or ""'),
    (("stage",), "staging", "stage", "allowed: 'dev'"),
    (("previous_stage",), "Bad Stage", "previous_stage", 'or ""'),
    (("requires_approval",), "no", "requires_approval", "allowed: true, false"),
    (("registry", "model_package_group"), "bad name!", "registry.model_package_group", "group name"),
    (
        ("registry", "model_package_group"),
        "arn:aws:sagemaker:us-east-1:999999999999:model-package-group/churn",
        "registry.model_package_group",
        "an ARN in 111111111111/us-east-1",
    ),
    (("registry", "account_id"), "1111", "registry.account_id", "allowed: 12 digits"),
    (("registry", "region"), "mars", "registry.region", "AWS region"),
    (("registry", "role_arn"), "arn:aws:iam::222222222222:role/x", "registry.role_arn", "a role in 111111111111"),
    (("ledger", "table_name"), "x", "ledger.table_name", "3-255"),
    (("promotion", "next_stage_event_bus_arn"), "bus", "promotion.next_stage_event_bus_arn", "event bus ARN"),
    (("target", "account_id"), 222222222222, "target.account_id", "12 digits"),
    (("target", "role_arn"), "role/deployer", "target.role_arn", "arn:aws:iam::<account_id>:role/<name>"),
    (("endpoint", "name"), "-bad-", "endpoint.name", "1-63"),
    (("endpoint", "variant_name"), "", "endpoint.variant_name", "1-63"),
    (("endpoint", "instance_type"), "m5.large", "endpoint.instance_type", "ml.<family>.<size>"),
    (("endpoint", "instance_count"), 0, "endpoint.instance_count", "integer 1-2147483647"),
    (("endpoint", "kms_key_arn"), "my-key", "endpoint.kms_key_arn", "KMS key"),
    (("endpoint", "execution_role_arn"), "", "endpoint.execution_role_arn", "role/<name>"),
    (("data_capture", "enabled"), 1, "data_capture.enabled", "true, false"),
    (("data_capture", "sampling_percentage"), 101, "data_capture.sampling_percentage", "integer 0-100"),
    (("data_capture", "destination_s3_uri"), "", "data_capture.destination_s3_uri", "s3://<bucket>/<prefix>"),
    (("deployment", "strategy"), "blue-green", "deployment.strategy", "all_at_once, canary, linear, rolling"),
    (("deployment", "step", "type"), "PERCENT", "deployment.step.type", "INSTANCE_COUNT, CAPACITY_PERCENT"),
    (("deployment", "step", "value"), 60, "deployment.step.value", "CAPACITY_PERCENT 1-50"),
    (("deployment", "wait_seconds"), 3601, "deployment.wait_seconds", "integer 0-3600"),
    (("deployment", "termination_wait_seconds"), -1, "deployment.termination_wait_seconds", "integer 0-3600"),
    (("deployment", "max_execution_timeout_seconds"), 599, "deployment.max_execution_timeout_seconds", "600-28800"),
    (("deployment", "max_execution_timeout_seconds"), 28801, "deployment.max_execution_timeout_seconds", "600-28800"),
    (("deployment", "rollback_alarms"), "alarm", "deployment.rollback_alarms", "CloudWatch alarm names"),
    (("deployment", "rollback_alarms"), [f"a{i}" for i in range(11)], "deployment.rollback_alarms", "0-10"),
    (("autoscaling", "max_capacity"), 1, "autoscaling.max_capacity", "integer 2-2147483647"),
    (("autoscaling", "target_invocations_per_instance"), 0, "autoscaling.target_invocations_per_instance", "> 0"),
    (("smoke_tests", "dir"), "../outside", "smoke_tests.dir", "relative path"),
    (("tags",), {"aws:owner": "x"}, "tags.aws:owner", "not starting with aws:"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "allowed"), FIELD_CASES, ids=[f"{c[2]}={c[1]!r}" for c in FIELD_CASES]
)
def test_each_bad_field_is_named_with_file_and_allowed(
    tmp_path: Path, path: tuple[str, ...], value: Any, field: str, allowed: str
) -> None:
    doc = base_doc()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    found = problems(tmp_path, doc)
    assert len(found) == 1, found
    line = found[0]
    assert line.startswith(f"{tmp_path / 'config' / 'dev.json'}: {field}: "), line
    assert "(allowed: " in line and allowed in line, line


def test_the_model_defaults_to_the_project_and_either_may_stand_alone(tmp_path: Path) -> None:
    """A config of the single-model layout names only its project, which is its model; a config of the platform
    names its model and platform (and, for now, the project too)."""
    single = {k: v for k, v in base_doc().items() if k not in ("model", "platform")}
    old = load_stage_config(write(tmp_path, single), "dev")
    assert (old.project, old.model, old.platform) == ("churn", "churn", "")
    both = load_stage_config(write(tmp_path, {**base_doc(), "model": "fraud", "platform": "acme"}), "dev")
    assert (both.project, both.model, both.platform) == ("churn", "fraud", "acme")
    alone = {k: v for k, v in single.items() if k != "project"}
    only_model = load_stage_config(write(tmp_path, {**alone, "model": "fraud"}), "dev")
    assert (only_model.project, only_model.model) == ("fraud", "fraud")
    (line,) = problems(tmp_path, alone)
    assert line == (
        f"{tmp_path / 'config' / 'dev.json'}: model: missing (and no project) "
        "(allowed: ^[a-z0-9-]{1,40}$; an old config may give project instead)"
    )


def test_missing_and_unknown_keys(tmp_path: Path) -> None:
    doc = base_doc()
    del doc["endpoint"]["instance_type"]
    del doc["autoscaling"]
    doc["endpoint"]["instance_typ"] = "ml.m5.large"
    doc["extra"] = True
    found = problems(tmp_path, doc)
    assert any(": endpoint.instance_type: missing (allowed: ml.<family>.<size>" in p for p in found)
    assert any(": endpoint.instance_typ: unknown key" in p for p in found)
    assert any(": autoscaling: missing" in p for p in found)
    assert any(": extra: unknown key" in p for p in found)


def test_several_problems_reported_at_once(tmp_path: Path) -> None:
    doc = base_doc()
    doc["endpoint"]["instance_count"] = -3
    doc["data_capture"]["sampling_percentage"] = 250
    doc["deployment"]["wait_seconds"] = 99999
    doc["target"]["region"] = "nowhere"
    found = problems(tmp_path, doc)
    fields = [p.split(": ")[1] for p in found]
    assert fields == [
        "target.region",
        "endpoint.instance_count",
        "data_capture.sampling_percentage",
        "deployment.wait_seconds",
    ]
    with pytest.raises(ConfigError) as exc:
        load_stage_config(tmp_path / "config", "dev")
    assert str(exc.value).count("(allowed: ") == 4


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    found = problems(tmp_path, "{not json")
    assert len(found) == 1 and "dev.json: (file): invalid JSON" in found[0]
    found = problems(tmp_path, [1, 2])
    assert "(allowed: a JSON object)" in found[0]
    with pytest.raises(ConfigError) as exc:
        load_stage_config(tmp_path / "nowhere", "dev")
    assert "not found" in exc.value.problems[0] and "dev-config.json" in exc.value.problems[0]


def test_template_file_overlays_defaults(tmp_path: Path) -> None:
    """A team's old SageMaker Projects `staging-config.json` works unchanged on top of config/defaults.json."""
    defaults = base_doc()
    defaults["stage"] = "staging"
    defaults["endpoint"]["name"] = "churn-staging"
    config_dir = write(tmp_path, defaults, "defaults.json")
    old = {
        "Parameters": {
            "StageName": "staging",
            "EndpointInstanceCount": "4",
            "EndpointInstanceType": "ml.c5.xlarge",
            "SamplingPercentage": "100",
            "EnableDataCapture": "false",
            "SageMakerProjectName": "churn",
        },
        "Tags": {"cost-center": "42"},
    }
    write(tmp_path, old, "staging-config.json")
    config = load_stage_config(config_dir, "staging")
    assert config.endpoint.instance_count == 4
    assert config.endpoint.instance_type == "ml.c5.xlarge"
    assert config.data_capture.sampling_percentage == 100
    assert config.data_capture.enabled is False
    assert config.tags == {"team": "ml-platform", "cost-center": "42"}
    assert config.endpoint.name == "churn-staging"
    assert discover_stages(config_dir) == ["staging"]


def test_parameters_inside_native_file_win_and_list_tags(tmp_path: Path) -> None:
    doc = base_doc()
    doc["Parameters"] = {"EndpointInstanceCount": 3, "EnableDataCapture": "true"}
    doc["Tags"] = [{"Key": "owner", "Value": "data-science"}]
    config = load_stage_config(write(tmp_path, doc), "dev")
    assert config.endpoint.instance_count == 3
    assert config.tags == {"team": "ml-platform", "owner": "data-science"}


def test_template_values_are_validated_with_their_source(tmp_path: Path) -> None:
    doc = base_doc()
    config_dir = write(tmp_path, doc)
    write(
        tmp_path, {"Parameters": {"EndpointInstanceCount": "two", "StageName": "prod"}, "Tags": "x"}, "dev-config.json"
    )
    with pytest.raises(ConfigError) as exc:
        load_stage_config(config_dir, "dev")
    found = exc.value.problems
    assert any("dev-config.json: Parameters.StageName: 'prod' does not match" in p for p in found)
    assert any("dev-config.json: Tags: is str" in p for p in found)
    assert any(": endpoint.instance_count: 'two' is not an integer (allowed: integer 1-2147483647" in p for p in found)


def test_defaults_merge_deeply(tmp_path: Path) -> None:
    defaults = base_doc()
    config_dir = write(tmp_path, defaults, "defaults.json")
    write(tmp_path, {"endpoint": {"instance_count": 6}, "deployment": {"strategy": "all_at_once"}})
    config = load_stage_config(config_dir, "dev")
    assert config.endpoint.instance_count == 6
    assert config.endpoint.name == "churn-dev"
    assert config.deployment.strategy == "all_at_once"
    assert copy.deepcopy(defaults) == json.loads((config_dir / "defaults.json").read_text())


def test_next_stage_bus_is_read_from_promotion() -> None:
    config = load_stage_config(SEED_DEV.parent, "dev")
    bus = "arn:aws:events:us-east-1:333333333333:event-bus/churn-staging"
    assert config.promotion.next_stage_event_bus_arn == bus


def test_old_ledger_bus_key_still_works_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc = base_doc()
    bus = doc.pop("promotion")["next_stage_event_bus_arn"]
    doc["ledger"]["next_stage_event_bus_arn"] = bus
    config = load_stage_config(write(tmp_path, doc), "dev")
    assert config.promotion.next_stage_event_bus_arn == bus
    (warning,) = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
    assert str(tmp_path / "config" / "dev.json") in warning and "promotion.next_stage_event_bus_arn" in warning
    doc["ledger"]["next_stage_event_bus_arn"] = "bus"
    (found,) = problems(tmp_path, doc)
    assert ": ledger.next_stage_event_bus_arn: 'bus' is invalid (allowed: an event bus ARN" in found


def test_old_and_new_bus_keys_must_agree(tmp_path: Path) -> None:
    doc = base_doc()
    doc["ledger"]["next_stage_event_bus_arn"] = "arn:aws:events:us-east-1:333333333333:event-bus/other"
    (found,) = problems(tmp_path, doc)
    assert ": ledger.next_stage_event_bus_arn: differs from promotion.next_stage_event_bus_arn" in found
    doc["ledger"]["next_stage_event_bus_arn"] = doc["promotion"]["next_stage_event_bus_arn"]
    seed = load_stage_config(SEED_DEV.parent, "dev")
    assert load_stage_config(write(tmp_path, doc), "dev").promotion == seed.promotion


def test_an_empty_section_reports_its_missing_fields(tmp_path: Path) -> None:
    doc = base_doc()
    doc["endpoint"] = {}
    doc["ledger"] = {}
    found = problems(tmp_path, doc)
    assert any(": ledger.table_name: missing" in p for p in found)
    assert any(": endpoint.instance_type: missing" in p for p in found)
