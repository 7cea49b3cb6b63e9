"""Stage config numbers and tags at AWS's limits: NaN, infinities, booleans, out-of-range values, tag rules.

Each bad value is written into the file as JSON text (json.loads accepts the NaN and Infinity literals), and
must come back as exactly one `<file>: <field>: <message> (allowed: ...)` problem. No AWS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deployer.config import load_stage_config
from deployer.config.aws_limits import TARGET_VALUE_DOC, int_limit, service_model, text_rule
from deployer.errors import ConfigError
from tests.deployer.test_config import base_doc, problems, write

MARK = "__BAD_VALUE__"
INSTANCES = "integer 1-2147483647; SageMaker ProductionVariant.InitialInstanceCount has no documented maximum"
CAPACITY = "integer 1-2147483647; at least 1 instance; Application Auto Scaling RegisterScalableTargetRequest"
TARGET = "a number > 0 and <= 2^360; Application Auto Scaling's TargetValue range is -2^360 to 2^360"
SAMPLING = "integer 0-100; SageMaker DataCaptureConfig.InitialSamplingPercentage"
WAIT = "integer 0-3600; UpdateEndpoint's TrafficRoutingConfig.WaitIntervalInSeconds"
TERMINATION = "integer 0-3600; UpdateEndpoint's BlueGreenUpdatePolicy.TerminationWaitInSeconds"
TIMEOUT = "integer 600-28800; UpdateEndpoint's BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds"

# (path in the document, the value as JSON text, the message, the allowed part)
NUMBER_CASES = [
    (("schema_version",), "true", "true", "allowed: 1"),
    (("schema_version",), "1.0", "1.0", "allowed: 1"),
    (("endpoint", "instance_count"), "NaN", "NaN is not an integer", INSTANCES),
    (("endpoint", "instance_count"), "Infinity", "Infinity is not an integer", INSTANCES),
    (("endpoint", "instance_count"), "1e400", "Infinity is not an integer", INSTANCES),
    (("endpoint", "instance_count"), "-1", "-1 is out of range", INSTANCES),
    (("endpoint", "instance_count"), "2147483648", "2147483648 is out of range", INSTANCES),
    (("endpoint", "instance_count"), "true", "true is a boolean, not an integer", INSTANCES),
    (("endpoint", "instance_count"), "2.5", "2.5 is not an integer", INSTANCES),
    (("autoscaling", "min_capacity"), "0", "0 is out of range", CAPACITY),
    (("autoscaling", "min_capacity"), "true", "true is a boolean, not an integer", CAPACITY),
    (("autoscaling", "max_capacity"), "2147483648", "2147483648 is out of range", CAPACITY),
    (("autoscaling", "max_capacity"), "-Infinity", "-Infinity is not an integer", CAPACITY),
    (("autoscaling", "target_invocations_per_instance"), "NaN", "NaN is not a finite number", TARGET),
    (("autoscaling", "target_invocations_per_instance"), "Infinity", "Infinity is not a finite number", TARGET),
    (("autoscaling", "target_invocations_per_instance"), "-1", "-1 is out of range", TARGET),
    (("autoscaling", "target_invocations_per_instance"), "0.0", "0.0 is out of range", TARGET),
    (("autoscaling", "target_invocations_per_instance"), "1e109", "1e+109 is out of range", TARGET),
    (("autoscaling", "target_invocations_per_instance"), "false", "false is a boolean, not a finite number", TARGET),
    (("autoscaling", "target_invocations_per_instance"), '"100"', "'100' is not a finite number", TARGET),
    (("data_capture", "sampling_percentage"), "NaN", "NaN is not an integer", SAMPLING),
    (("data_capture", "sampling_percentage"), "-1", "-1 is out of range", SAMPLING),
    (("data_capture", "sampling_percentage"), "101", "101 is out of range", SAMPLING),
    (("data_capture", "sampling_percentage"), "true", "true is a boolean, not an integer", SAMPLING),
    (("deployment", "wait_seconds"), "NaN", "NaN is not an integer", WAIT),
    (("deployment", "wait_seconds"), "-1", "-1 is out of range", WAIT),
    (("deployment", "wait_seconds"), "3601", "3601 is out of range", WAIT),
    (("deployment", "termination_wait_seconds"), "Infinity", "Infinity is not an integer", TERMINATION),
    (("deployment", "termination_wait_seconds"), "false", "false is a boolean, not an integer", TERMINATION),
    (("deployment", "max_execution_timeout_seconds"), "599", "599 is out of range", TIMEOUT),
    (("deployment", "max_execution_timeout_seconds"), "28801", "28801 is out of range", TIMEOUT),
    (("deployment", "max_execution_timeout_seconds"), "true", "true is a boolean, not an integer", TIMEOUT),
    (("deployment", "step", "value"), "NaN", "NaN is not an integer", "integer 1-2147483647; SageMaker CapacitySize"),
]


def bad_file(tmp_path: Path, path: tuple[str, ...], raw: str) -> list[str]:
    doc = base_doc()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = MARK
    return problems(tmp_path, json.dumps(doc).replace(json.dumps(MARK), raw))


@pytest.mark.parametrize(
    ("path", "raw", "message", "allowed"), NUMBER_CASES, ids=[f"{c[0][-1]}={c[1]}" for c in NUMBER_CASES]
)
def test_bad_numbers_name_file_field_and_allowed(
    tmp_path: Path, path: tuple[str, ...], raw: str, message: str, allowed: str
) -> None:
    (line,) = bad_file(tmp_path, path, raw)
    assert line.startswith(f"{tmp_path / 'config' / 'dev.json'}: {'.'.join(path)}: {message} (allowed: "), line
    assert allowed in line, line


RULES = "not starting with aws: or deployer:; string values of 0-256 characters of letters, spaces, digits and"
# (tags object, field, message)
TAG_CASES = [
    ({"aws:owner": "x"}, "tags.aws:owner", "the prefix aws: is reserved for AWS"),
    ({"AWS:owner": "x"}, "tags.AWS:owner", "the prefix AWS: is reserved for AWS"),
    ({"deployer:stage": "prod"}, "tags.deployer:stage", "the prefix deployer: is reserved for the deployer"),
    ({"Deployer:x": "1"}, "tags.Deployer:x", "the prefix Deployer: is reserved for the deployer"),
    ({"cost!center": "1"}, "tags.cost!center", "the key has the character '!'"),
    ({"a\nb": "1"}, "tags.'a\\nb'", "the key has the character '\\n'"),
    ({"k" * 129: "1"}, f"tags.{'k' * 129}", "the key has 129 characters"),
    ({"team": "a;b"}, "tags.team", "the value has the character ';'"),
    ({"team": "x" * 257}, "tags.team", "the value has 257 characters"),
    ({"team": 5}, "tags.team", "5 is not a string"),
    ({"team": float("nan")}, "tags.team", "NaN is not a string"),
]


@pytest.mark.parametrize(("tags", "field", "message"), TAG_CASES, ids=[c[1][:40] for c in TAG_CASES])
def test_bad_tags_name_the_key_and_the_rules(tmp_path: Path, tags: dict[str, Any], field: str, message: str) -> None:
    doc = base_doc()
    doc["tags"] = tags
    (line,) = problems(tmp_path, doc)
    assert line.startswith(f"{tmp_path / 'config' / 'dev.json'}: {field}: {message} (allowed: keys of 1-128 "), line
    assert RULES in line, line


def test_tags_in_any_script_with_spaces_and_symbols_pass(tmp_path: Path) -> None:
    doc = base_doc()
    doc["tags"] = {"Kostenstelle é": "Müller 42 _.:/=+-@", "チーム": "", "ok": "٣"}
    assert load_stage_config(write(tmp_path, doc), "dev").tags["チーム"] == ""


def test_rolling_timing_is_bounded_by_the_rolling_policy(tmp_path: Path) -> None:
    doc = base_doc()
    doc["deployment"].update(strategy="rolling", step={"type": "CAPACITY_PERCENT", "value": 25}, wait_seconds=3601)
    (line,) = problems(tmp_path, doc)
    assert "deployment.wait_seconds: 3601 is out of range (allowed: integer 0-3600; UpdateEndpoint's " in line
    assert "RollingUpdatePolicy.WaitIntervalInSeconds" in line


def test_the_ranges_follow_botocores_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not copied by hand: a model with another maximum gives another range."""
    shapes = service_model("sagemaker")._shape_resolver._shape_map
    monkeypatch.setitem(shapes["WaitIntervalInSeconds"], "max", 120)
    doc = base_doc()
    doc["deployment"]["wait_seconds"] = 300
    (line,) = problems(tmp_path, doc)
    assert "deployment.wait_seconds: 300 is out of range (allowed: integer 0-120; " in line
    limit = int_limit("sagemaker", "BlueGreenUpdatePolicy", "MaximumExecutionTimeoutInSeconds")
    assert (limit.low, limit.high) == (600, 28800)


def test_target_value_bound_is_still_documented_so() -> None:
    """botocore's model carries TargetValue's range only in its documentation: notice if that changes."""
    model = service_model("application-autoscaling")
    member = model.shape_for("TargetTrackingScalingPolicyConfiguration").members["TargetValue"]
    assert TARGET_VALUE_DOC in member.documentation


def test_tag_patterns_of_another_form_are_refused_loudly() -> None:
    with pytest.raises(ValueError, match="character range"):
        text_rule({"max": 5, "pattern": "([a-z]*)"})
    with pytest.raises(ValueError, match=r"not a \[...\]\* character class"):
        text_rule({"max": 5, "pattern": "^[a-z]+(-[a-z]+)*$"})
    rule = text_rule(service_model("sagemaker").shape_for("TagKey").metadata)
    assert rule.problem("Straße 1_.:/=+-@") is None and rule.problem("") == "has 0 characters"


def test_numbers_beyond_pythons_digit_limit_are_a_file_problem(tmp_path: Path) -> None:
    (line,) = bad_file(tmp_path, ("endpoint", "instance_count"), "9" * 5000)
    assert "dev.json: (file): " in line and "(allowed: JSON with numbers of at most 4300 digits)" in line


def test_template_counts_take_ascii_digits_only(tmp_path: Path) -> None:
    config_dir = write(tmp_path, base_doc())
    write(tmp_path, {"Parameters": {"EndpointInstanceCount": "٣", "SamplingPercentage": "NaN"}}, "dev-config.json")
    with pytest.raises(ConfigError) as exc:
        load_stage_config(config_dir, "dev")
    found = exc.value.problems
    assert any(": endpoint.instance_count: '٣' is not an integer" in p for p in found), found
    assert any(": data_capture.sampling_percentage: 'NaN' is not an integer" in p for p in found), found
