"""Proof of what an endpoint serves: InService on a config the deployer created for version N, tagged so, and
(with the ledger) the stage's last recorded success is exactly that config."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from deployer import endpoint as ep
from deployer.errors import VerificationError
from deployer.naming import is_ours
from deployer.promotion.context import StageContext
from deployer.promotion.history import latest_success


@dataclass(frozen=True)
class ServingProof:
    """The endpoint serves `version` on `config`, which the deployer created and the ledger recorded."""

    endpoint: str
    version: int
    model_package_arn: str
    config: str
    status: str
    deployed_at: str
    deployment_id: str
    deployed_by: str
    build_id: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def line(self) -> str:
        served = (
            f"serving: {self.endpoint} is {self.status} on {self.config}, model package v{self.version} "
            f"({self.model_package_arn})"
        )
        if not self.deployed_at:
            return f"{served}, from the endpoint's tags (not checked against the ledger)"
        return f"{served}, recorded at {self.deployed_at} by build {self.build_id or '-'}"


def prove_serving(context: StageContext, *, ledger: bool = True) -> ServingProof:
    """Raises VerificationError unless the endpoint provably serves a version the deployer put there.

    With `ledger=False` the proof stops at the endpoint and its tags (a role without registry access, such
    as the pipeline's test role, cannot read the ledger)."""
    proof = _served_by_us(context)
    if not ledger:
        return proof
    with context.guard():
        last = latest_success(context.ledger().iter_history(context.stage))
    if last is None:
        raise VerificationError(
            f"the ledger records no deployment of {context.stage}; run `deployer deploy --stage {context.stage}` "
            "(on a live endpoint it changes nothing and records what is live)"
        )
    if last.endpoint_config != proof.config:
        raise VerificationError(
            f"endpoint {context.endpoint} serves {proof.config} (v{proof.version}), but the ledger's last "
            f"successful deployment of {context.stage} is v{last.version} on {last.endpoint_config} at {last.at}"
        )
    return dataclasses.replace(
        proof,
        deployed_at=last.at,
        deployment_id=last.deployment_id,
        deployed_by=last.caller_arn,
        build_id=last.build_id,
    )


def _served_by_us(context: StageContext) -> ServingProof:
    """What the endpoint serves, when it is settled on a config of ours whose tags name the version; the
    ledger's fields are left empty."""
    target = context.deployer().target()
    endpoint = context.endpoint
    live = ep.live_state(target, endpoint)
    if live is None:
        raise VerificationError(f"endpoint {endpoint} does not exist in account {target.account}")
    if live.status != ep.IN_SERVICE:
        reason = f" ({live.failure_reason})" if live.failure_reason else ""
        raise VerificationError(f"endpoint {endpoint} is {live.status}{reason}, not InService")
    if live.pending_config:
        raise VerificationError(f"endpoint {endpoint} has an update to {live.pending_config} in progress")
    if live.config_missing:
        raise VerificationError(
            f"{live.missing_config_problem}; run `deployer deploy --stage {context.stage}` to recreate it and move "
            "the endpoint onto it"
        )
    if not is_ours(live.config_name, endpoint) or live.version is None:
        raise VerificationError(f"endpoint {endpoint} serves {live.config_name}, which the deployer did not create")
    config = ep.describe_endpoint_config(target, live.config_name) or {}
    with target.call("sagemaker:ListTags"):
        tags = {
            t["Key"]: t["Value"]
            for t in target.sagemaker.list_tags(ResourceArn=config.get("EndpointConfigArn", "")).get("Tags", [])
        }
    expected = {
        "deployer:stage": context.stage,
        "deployer:model-version": str(live.version),
        "deployer:model-package-arn": live.package_arn,
    }
    wrong = [f"{k}={tags.get(k, '<missing>')} (expected {v})" for k, v in expected.items() if tags.get(k) != v]
    if wrong:
        raise VerificationError(f"endpoint config {live.config_name} is not tagged as ours: {', '.join(wrong)}")
    return ServingProof(
        endpoint=endpoint,
        version=live.version,
        model_package_arn=live.package_arn,
        config=live.config_name,
        status=live.status,
        deployed_at="",
        deployment_id="",
        deployed_by="",
        build_id="",
    )
