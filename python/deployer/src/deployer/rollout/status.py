"""A stage's status: endpoint, live version and config, and the last deployment."""

from __future__ import annotations

from typing import Any

from deployer import endpoint as ep
from deployer.config import StageConfig
from deployer.rollout.stage import StageDeployer
from deployer.sessions import AccountSessions


def stage_status(config: StageConfig, sessions: AccountSessions) -> dict[str, Any]:
    """Endpoint, status, live version and config, and the last deployment of one stage."""
    target = StageDeployer(config, sessions).target()  # proves the target account first
    live = ep.live_state(target, config.endpoint.name)
    if live is None:
        return {"stage": config.stage, "endpoint": config.endpoint.name, "status": "absent", "live_version": None}
    desc = live.description
    pending = desc.get("PendingDeploymentSummary") or {}
    return {
        "stage": config.stage,
        "endpoint": config.endpoint.name,
        "account": config.target.account_id,
        "status": live.status,
        "live_version": live.version,
        "model_package_arn": live.package_arn,
        "endpoint_config": live.config_name,
        "sagemaker_model": live.model_name,
        "failure_reason": live.failure_reason,
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
