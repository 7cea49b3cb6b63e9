"""Create-side checks AWS makes and moto skips: names already taken, models from unhostable packages, new alarms.

moto overwrites an endpoint config created twice under one name, builds a model from a model package that
has no InferenceSpecification (nothing to host), and starts every new CloudWatch alarm in OK. AWS refuses
the first two and starts an alarm in INSUFFICIENT_DATA until it has been evaluated on data; nothing here
evaluates metrics, so a new alarm stays there until SetAlarmState moves it. moto's CreateModel also drops
EnableNetworkIsolation (DescribeModel always said false) and takes any VpcConfig: here the flag is kept and
VpcConfig is held to the limits of AWS's model (1-16 subnets, 1-5 security groups). The network interfaces
SageMaker would create in those subnets are not modelled. See python/sandbox/docs/hosting.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend
from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from sandbox.ext import _patch
from sandbox.ext._hosting_fleets import find_model_package

log = logging.getLogger(__name__)

INITIAL_ALARM_STATE = "INSUFFICIENT_DATA"
INITIAL_ALARM_REASON = "Unchecked: Initial alarm creation"
# What an update of an existing alarm keeps: AWS leaves its state alone and overwrites only the configuration.
_ALARM_STATE_FIELDS = ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history")


def check_package_refs(specs: list[dict[str, Any]], account_id: str, region: str) -> None:
    """Every ModelPackageName a CreateModel container names must exist and carry an InferenceSpecification."""
    for spec in specs:
        ref = spec.get("ModelPackageName")
        if not ref:
            continue
        package = find_model_package(str(ref), account_id, region)
        if package is None:
            raise ValidationError(message=f"ModelPackage {ref} does not exist.")
        if not (package.inference_specification or {}).get("Containers"):
            raise ValidationError(
                message=f"ModelPackage {package.arn} does not have an InferenceSpecification, "
                "so a model cannot be created from it."
            )


# SageMaker's VpcConfig members: (wire name, AWS's member path in messages, most ids, id pattern).
_VPC_MEMBERS = (
    ("Subnets", "vpcConfig.subnets", 16, re.compile(r"^[-0-9a-zA-Z]{1,32}$")),
    ("SecurityGroupIds", "vpcConfig.securityGroupIds", 5, re.compile(r"^[-0-9a-zA-Z]{1,32}$")),
)


def check_vpc_config(vpc: Any) -> None:
    """AWS's constraint errors for a VpcConfig (both lists required, 1..max ids of the id pattern)."""
    if vpc is None:
        return
    errors = []
    for key, path, most, pattern in _VPC_MEMBERS:
        ids = vpc.get(key) if isinstance(vpc, dict) else None
        if not isinstance(ids, list) or not ids:
            errors.append(f"Value null at '{path}' failed to satisfy constraint: Member must not be null")
        elif len(ids) > most:
            errors.append(
                f"Value '{ids}' at '{path}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {most}"
            )
        elif not all(isinstance(i, str) and pattern.match(i) for i in ids):
            errors.append(
                f"Value '{ids}' at '{path}' failed to satisfy constraint: "
                "Member must satisfy constraint: [Member must satisfy regular expression pattern: [-0-9a-zA-Z]+]"
            )
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected"
        raise ValidationError(message=f"{count}: {'; '.join(errors)}")


def create_model(self: Any) -> ActionResult:
    """moto's CreateModel, keeping EnableNetworkIsolation and checking VpcConfig first."""
    vpc = _patch.param(self, "VpcConfig")
    check_vpc_config(vpc)
    model = self.sagemaker_backend.create_model(
        model_name=_patch.param(self, "ModelName"),
        execution_role_arn=_patch.param(self, "ExecutionRoleArn"),
        primary_container=_patch.param(self, "PrimaryContainer"),
        vpc_config=vpc,
        containers=_patch.param(self, "Containers"),
        tags=_patch.param(self, "Tags"),
    )
    model.enable_network_isolation = bool(_patch.param(self, "EnableNetworkIsolation"))
    return ActionResult(model.response_create)


def _create_endpoint_config(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_endpoint_config(self: Any, endpoint_config_name: str, *args: Any, **kwargs: Any) -> Any:
        if endpoint_config_name in self.endpoint_configs:
            arn = arn_formatter("endpoint-config", endpoint_config_name, self.account_id, self.region_name)
            raise ValidationError(message=f'Cannot create already existing endpoint configuration "{arn}".')
        return original(self, endpoint_config_name, *args, **kwargs)

    return create_endpoint_config


def _put_metric_alarm(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = kwargs["name"] if "name" in kwargs else args[0]
        before = self.alarms.get(name)
        alarm = original(self, *args, **kwargs)
        if before is not None:
            for attr in _ALARM_STATE_FIELDS:
                setattr(alarm, attr, getattr(before, attr))
        else:
            alarm.state_value = INITIAL_ALARM_STATE
            alarm.state_reason = INITIAL_ALARM_REASON
        return alarm

    return put_metric_alarm


def apply() -> None:
    _patch.replace(SageMakerResponse, "create_model", create_model)
    _patch.wrap(SageMakerModelBackend, "create_endpoint_config", _create_endpoint_config)
    _patch.wrap(CloudWatchBackend, "put_metric_alarm", _put_metric_alarm)
