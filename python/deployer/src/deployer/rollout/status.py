"""A stage's status: endpoint, live version and config, and the last deployment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deployer import endpoint as ep
from deployer.config import StageConfig
from deployer.rollout.stage import StageDeployer
from deployer.sessions import AccountSessions


def stage_status(
    config: StageConfig, sessions: AccountSessions, *, recorded: Mapping[str, tuple[int, str]] | None = None
) -> dict[str, Any]:
    """Endpoint, status, live version and config, and the last deployment of one stage.

    The live version and package come from the endpoint config's model (DescribeEndpointConfig, DescribeModel).
    `recorded` (endpoint config -> version and package ARN, from the ledger's successful outcomes) spares those
    two reads when the endpoint runs a config the deployer recorded: a config's name is the hash of its request,
    and a config never changes; `sagemaker_model` is then not read (None). The config is still looked up once, as
    it may have been deleted under the endpoint (`config_missing`, with the problem in `problems`).
    """
    target = StageDeployer(config, sessions).target()  # proves the target account first
    name = config.endpoint.name
    if recorded:
        desc = ep.describe_endpoint(target, name)
        if desc is None:
            return {"stage": config.stage, "endpoint": name, "status": "absent", "live_version": None}
        config_name = str(desc.get("EndpointConfigName", ""))
        known = recorded.get(config_name)
        if known is not None:
            version, package = known
            missing = ep.describe_endpoint_config(target, config_name) is None
            problem = ep.missing_config_problem(name, config_name) if missing else ""
            return _status(config, desc, str(desc.get("EndpointStatus", "")), version, package, None, problem)
    live = ep.live_state(target, name)
    if live is None:
        return {"stage": config.stage, "endpoint": name, "status": "absent", "live_version": None}
    return _status(
        config, live.description, live.status, live.version, live.package_arn, live.model_name,
        live.missing_config_problem,
    )  # fmt: skip


def _status(
    config: StageConfig,
    desc: dict[str, Any],
    status: str,
    version: int | None,
    package_arn: str,
    sagemaker_model: str | None,
    missing_config_problem: str = "",
) -> dict[str, Any]:
    pending = desc.get("PendingDeploymentSummary") or {}
    return {
        "stage": config.stage,
        "endpoint": config.endpoint.name,
        "account": config.target.account_id,
        "status": status,
        "live_version": version,
        "model_package_arn": package_arn,
        "endpoint_config": str(desc.get("EndpointConfigName", "")),
        "sagemaker_model": sagemaker_model,
        "config_missing": bool(missing_config_problem),
        "problems": [missing_config_problem] if missing_config_problem else [],
        "failure_reason": str(desc.get("FailureReason", "") or ""),
        "pending_config": pending.get("EndpointConfigName", ""),
        "last_modified": _iso(desc.get("LastModifiedTime")),
        "last_deployment": desc.get("LastDeploymentConfig") or None,
        "variants": [
            {
                "name": v.get("VariantName"),
                "current_instance_count": v.get("CurrentInstanceCount"),
                "desired_instance_count": v.get("DesiredInstanceCount"),
            }
            for v in desc.get("ProductionVariants") or []
        ],
    }


def _iso(value: Any) -> str | None:
    return str(value.isoformat()) if hasattr(value, "isoformat") else None
