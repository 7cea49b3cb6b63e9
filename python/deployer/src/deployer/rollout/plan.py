"""A stage's plan: the candidate, the names and requests it would create, the live state, and the action.

Reading only: `make_plan` resolves the candidate and reads the endpoint, then leaves the choice to the pure
`decide`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from deployer import endpoint as ep
from deployer.config import StageConfig
from deployer.naming import hashed_name
from deployer.registry import REJECTED, CandidatePolicy, ModelVersion, RegistryReader, resolve_candidate
from deployer.rollout.decide import Action, Situation, decide
from deployer.rollout.resources import endpoint_config_request, model_request


@dataclass(frozen=True)
class Plan:
    stage: str
    endpoint: str
    action: Action
    reason: str
    candidate_version: int
    candidate_arn: str
    model_name: str
    config_name: str
    config_hash: str
    live_version: int | None
    live_config: str
    live_status: str
    candidate_reason: str = ""
    passed_over: tuple[str, ...] = ()
    live_package_arn: str = ""
    live_approval: str = ""
    pending_config: str = ""
    # The new fleet's size: the configured count, or the live variant's larger (autoscaled) count, kept on
    # UpdateEndpoint so that a release never lowers capacity.
    fleet_size: int = 0
    keeps_live_count: bool = False
    # The exact requests the names were hashed from (without name and tags); not part of the plan's output.
    model_request: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    config_request: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["action"] = self.action.value
        data["passed_over"] = list(self.passed_over)
        del data["model_request"], data["config_request"]
        return data

    @property
    def moving_away_from_rejected(self) -> bool:
        return self.live_approval == REJECTED and self.live_version != self.candidate_version

    def lines(self) -> list[str]:
        live = f"v{self.live_version}" if self.live_version is not None else "none"
        if self.live_approval:
            live += f" ({self.live_approval})"
        lines = [
            f"stage: {self.stage}",
            f"endpoint: {self.endpoint} ({self.live_status or 'absent'})",
            f"candidate: v{self.candidate_version} {self.candidate_arn}",
        ]
        if self.candidate_reason:
            lines.append(f"why: {self.candidate_reason}")
        lines.extend(f"passed over: {why}" for why in self.passed_over)
        lines += [
            f"live: {live} {self.live_config}".rstrip(),
            f"endpoint config: {self.config_name}",
            *(
                [f"fleet: keeps the live {self.fleet_size} instances (autoscaled above the configured count)"]
                if self.keeps_live_count
                else []
            ),
            f"action: {self.action} ({self.reason})",
        ]
        return lines


def make_plan(
    config: StageConfig,
    registry: RegistryReader,
    target: ep.Target,
    policy: CandidatePolicy,
    *,
    pinned: int | None = None,
    force: bool = False,
) -> Plan:
    """Decide what a deploy would do; changes nothing."""
    resolution = resolve_candidate(registry, policy, pinned=pinned, force=force)
    candidate = resolution.candidate
    model_req = model_request(config, candidate.arn)
    model_name, _ = hashed_name(config.endpoint.name, candidate.version, model_req)
    config_req = endpoint_config_request(config, model_name)
    config_name, config_hash = hashed_name(config.endpoint.name, candidate.version, config_req)
    live = ep.live_state(target, config.endpoint.name)
    live_approval = _live_approval(registry, candidate, live)
    fleet_size, keeps_live_count = _fleet_size(config, live)
    action, reason = decide(_situation(candidate, config_name, live, live_approval, pinned=pinned is not None))
    return Plan(
        stage=config.stage,
        endpoint=config.endpoint.name,
        action=action,
        reason=reason,
        candidate_version=candidate.version,
        candidate_arn=candidate.arn,
        model_name=model_name,
        config_name=config_name,
        config_hash=config_hash,
        live_version=live.version if live else None,
        live_config=live.config_name if live else "",
        live_status=live.status if live else "",
        candidate_reason=resolution.reason,
        passed_over=resolution.passed_over,
        live_package_arn=live.package_arn if live else "",
        live_approval=live_approval,
        pending_config=live.pending_config if live else "",
        fleet_size=fleet_size,
        keeps_live_count=keeps_live_count,
        model_request=model_req,
        config_request=config_req,
    )


def _fleet_size(config: StageConfig, live: ep.LiveState | None) -> tuple[int, bool]:
    """(instances the new fleet starts with, whether that is the live count rather than the configured one).

    Autoscaling may have grown the live variant past `instance_count`: the update keeps that count, and
    autoscaling, registered again once the endpoint is InService, holds it within min..max from there.
    """
    configured = config.endpoint.instance_count
    live_count = live.instance_counts.get(config.endpoint.variant_name) if live else None
    if not config.autoscaling.enabled or live_count is None or live_count <= configured:
        return configured, False
    return live_count, True


def _live_approval(registry: RegistryReader, candidate: ModelVersion, live: ep.LiveState | None) -> str:
    """The registry status of the live package ("" when there is none or it is not a package)."""
    if live is None or not live.package_arn:
        return ""
    return candidate.status if live.package_arn == candidate.arn else registry.status_of(live.package_arn)


def _situation(
    candidate: ModelVersion, config_name: str, live: ep.LiveState | None, live_approval: str, *, pinned: bool
) -> Situation:
    if live is None:
        return Situation(candidate.version, config_name, pinned=pinned)
    return Situation(
        candidate_version=candidate.version,
        config_name=config_name,
        live_status=live.status,
        live_config=live.config_name,
        live_version=live.version,
        pending_config=live.pending_config,
        failure_reason=live.failure_reason,
        live_approval=live_approval,
        pinned=pinned,
        live_config_missing=live.config_missing,
    )
