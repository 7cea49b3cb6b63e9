"""Carrying out a plan: model and endpoint config, create or UpdateEndpoint, wait, verify, then autoscaling,
tags and cleanup. Preflight has passed by the time `Runner.roll_out` is called."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deployer import endpoint as ep
from deployer.config import StageConfig
from deployer.errors import DeployerError, RolloutError
from deployer.rollout.autoscaling import reconcile_autoscaling, settle_autoscaling, suspend_autoscaling
from deployer.rollout.decide import Action
from deployer.rollout.plan import Plan
from deployer.rollout.preflight import Preflight
from deployer.rollout.resources import resource_tags
from deployer.strategy import deployment_config, rollout_timeout

log = logging.getLogger(__name__)


@dataclass
class RolloutResult:
    plan: Plan
    outcome: str
    message: str
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "message": self.message,
            "created": self.created,
            "deleted": self.deleted,
            "warnings": self.warnings,
            **self.plan.as_dict(),
        }


@dataclass(frozen=True)
class Runner:
    """What carrying out a plan needs: the stage, its target account, and how to wait. `keepalive` runs on
    every poll (the promotion layer renews the endpoint lease there); `tolerate` decides whether a transient
    failure while waiting is tried again (see `StageDeployer`); `timeout_seconds` overrides the wait limit
    derived from the strategy."""

    config: StageConfig
    target: ep.Target
    poll_seconds: float
    keep: int
    keepalive: Callable[[], None] | None = None
    timeout_seconds: float | None = None
    tolerate: Callable[[BaseException, str], None] | None = None

    def no_op(self, plan: Plan) -> RolloutResult:
        reconcile_autoscaling(self.target, self.config)
        return RolloutResult(plan, "no-op", f"v{plan.candidate_version} is already live on {plan.endpoint}")

    def resume(self, plan: Plan) -> RolloutResult:
        """An earlier run started this very change and stopped; wait for it instead of starting another."""
        log.info("resuming: %s", plan.reason)
        result = RolloutResult(plan, "deployed", "")
        creating = plan.live_status == "Creating"
        desc = self._wait_and_verify(plan, creating=creating)
        self._finish(plan, desc, result, creating=creating)
        return result

    def roll_out(self, plan: Plan, preflight: Preflight) -> RolloutResult:
        result = RolloutResult(plan, "deployed", "", warnings=list(preflight.warnings))
        tags = self._tags(plan)
        if ep.ensure_model(self.target, plan.model_name, plan.model_request, tags):
            result.created.append(plan.model_name)
        if ep.ensure_endpoint_config(self.target, plan.config_name, plan.config_request, tags):
            result.created.append(plan.config_name)
        self._require_planned_state(plan)
        creating = plan.action == Action.CREATE
        if creating:
            self._create(plan, tags)
            result.created.append(plan.endpoint)
        else:
            self._update(plan, preflight)
        desc = self._wait_and_verify(plan, creating=creating)
        self._finish(plan, desc, result, creating=creating)
        return result

    def _require_planned_state(self, plan: Plan) -> None:
        """Re-read the endpoint right before changing it: it must still be what the plan saw."""
        desc = ep.describe_endpoint(self.target, plan.endpoint) or {}
        now = (str(desc.get("EndpointStatus", "")), str(desc.get("EndpointConfigName", "")))
        if now != (plan.live_status, plan.live_config):
            raise RolloutError(
                f"{plan.endpoint} changed since the plan: it was {plan.live_status or 'absent'} on "
                f"{plan.live_config or '-'}, it is {now[0] or 'absent'} on {now[1] or '-'}; the endpoint was left "
                "as it is (re-run to plan again)"
            )

    def _tags(self, plan: Plan) -> list[dict[str, str]]:
        return resource_tags(self.config, plan.candidate_arn, plan.candidate_version, plan.config_hash)

    def _timeout(self, *, creating: bool) -> float:
        if self.timeout_seconds is not None:
            return self.timeout_seconds
        return rollout_timeout(self.config, creating=creating)

    def _create(self, plan: Plan, tags: list[dict[str, str]]) -> None:
        name = self.config.endpoint.name
        if plan.live_status in ("Failed", "OutOfService"):
            timeout = self._timeout(creating=True)
            ep.delete_endpoint(
                self.target, name, timeout, self.poll_seconds, on_poll=self.keepalive, on_transient=self.tolerate
            )
        ep.create_endpoint(self.target, name, plan.config_name, tags)

    def _update(self, plan: Plan, preflight: Preflight) -> None:
        deployment = deployment_config(self.config.deployment)
        if not preflight.use_alarms:
            deployment.pop("AutoRollbackConfiguration", None)
        name, variant = self.config.endpoint.name, self.config.endpoint.variant_name
        suspend_autoscaling(self.target, name, variant)
        ep.update_endpoint(self.target, name, plan.config_name, deployment, keep_instance_count=plan.keeps_live_count)

    def _wait_and_verify(self, plan: Plan, *, creating: bool) -> dict[str, Any]:
        timeout = self._timeout(creating=creating)
        log.info("waiting up to %.0fs, polling every %gs", timeout, self.poll_seconds)
        try:
            desc = ep.wait_until_settled(
                self.target,
                plan.endpoint,
                timeout=timeout,
                poll=self.poll_seconds,
                on_poll=self.keepalive,
                on_transient=self.tolerate,
            )
            ep.verify(desc, plan.config_name)
        except (DeployerError, KeyboardInterrupt):
            # A rolled-back endpoint keeps its scaling; after a stop, scaling comes back if the endpoint is
            # InService already (otherwise the next run, resuming, puts it back).
            settle_autoscaling(self.target, self.config, quiet=True)
            raise
        return desc

    def _finish(self, plan: Plan, desc: dict[str, Any], result: RolloutResult, *, creating: bool) -> None:
        settle_autoscaling(self.target, self.config)
        tag_arn = desc.get("EndpointArn")
        if not creating and tag_arn:
            ep.tag_resource(self.target, str(tag_arn), self._tags(plan))
        result.deleted = ep.cleanup(self.target, plan.endpoint, self.keep)
        result.message = f"v{plan.candidate_version} is live on {plan.endpoint} ({plan.config_name})"
        log.info(result.message)
