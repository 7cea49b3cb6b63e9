"""The promotion contract as a candidate policy, read from the ledger, and the plan that `plan` shows."""

from __future__ import annotations

from deployer.ledger import MarkKind
from deployer.metric_gate import GateDecision
from deployer.promotion.context import StageContext
from deployer.promotion.drift import converged_plan
from deployer.promotion.lock import EndpointLock
from deployer.registry import CandidatePolicy, NewestApproved, NotRolledBack, VerifiedUpstream
from deployer.rollout import Plan


def stage_policy(context: StageContext) -> CandidatePolicy:
    """Newest Approved (first stage) or newest Approved and verified by the previous stage, never a version
    this stage was rolled back from."""
    ledger = context.ledger()
    base: CandidatePolicy = NewestApproved()
    previous = context.config.previous_stage
    if previous:
        marks = ledger.marks(previous, MarkKind.VERIFIED)
        verified = {m.version: m.at for m in marks}
        base = VerifiedUpstream(previous, verified, {m.version: m.model_package_arn for m in marks})
    rolled_back = {
        m.version: f"at {m.at}" + (f" ({m.reason})" if m.reason else "")
        for m in ledger.marks(context.stage, MarkKind.ROLLED_BACK)
    }
    return NotRolledBack(base, context.stage, rolled_back) if rolled_back else base


def plan_with_lock(
    context: StageContext, lock: EndpointLock, *, pinned: int | None = None, force: bool = False
) -> tuple[Plan, str]:
    """The plan (with why the candidate was chosen) and a line about the endpoint's lock; changes nothing."""
    with context.guard():
        deployer = context.deployer(policy=stage_policy(context))
        plan = converged_plan(context, deployer, deployer.plan(pinned=pinned, force=force), pinned=pinned is not None)
        return plan, lock.describe()


# The names `deployer plan --exports` prints; modules/stage exports the same list to CodePipeline (a test
# holds the two together).
EXPORT_NAMES = (
    "DEPLOYER_STAGE",
    "DEPLOYER_CANDIDATE_VERSION",
    "DEPLOYER_CANDIDATE_ARN",
    "DEPLOYER_ACTION",
    "DEPLOYER_LIVE_VERSION",
    "DEPLOYER_VERIFIED_IN",
    "DEPLOYER_VERIFIED_AT",
    "DEPLOYER_VERIFIED_BUILD",
    "DEPLOYER_METRIC_GATE",
)
# The approval's CustomData (modules/stage approval_text) holds at most 500 characters once resolved; the
# rest of it takes up to about 380 (package ARN, build id), so the gate's line gets this many.
GATE_EXPORT_CHARS = 100


def exports(context: StageContext, plan: Plan, gate: GateDecision | None = None) -> dict[str, str]:
    """What a pipeline's approval shows and its deploy pins: the candidate, its package, the action, when
    and by which build the previous stage verified it (empty for the first stage), and the metric gate."""
    facts = {
        "DEPLOYER_STAGE": context.stage,
        "DEPLOYER_CANDIDATE_VERSION": str(plan.candidate_version),
        "DEPLOYER_CANDIDATE_ARN": plan.candidate_arn,
        "DEPLOYER_ACTION": plan.action.value,
        "DEPLOYER_LIVE_VERSION": "" if plan.live_version is None else str(plan.live_version),
        "DEPLOYER_VERIFIED_IN": context.config.previous_stage,
        "DEPLOYER_VERIFIED_AT": "",
        "DEPLOYER_VERIFIED_BUILD": "",
        "DEPLOYER_METRIC_GATE": gate_export(gate),
    }
    previous = context.config.previous_stage
    if previous:
        with context.guard():
            mark = context.ledger().get_mark(previous, plan.candidate_version, MarkKind.VERIFIED)
        if mark is not None:
            facts["DEPLOYER_VERIFIED_AT"] = mark.at
            facts["DEPLOYER_VERIFIED_BUILD"] = mark.build_id
    # A pipeline variable is never empty: "-" stands for "none" (first stage, no live version, no build id).
    return {name: facts[name] or "-" for name in EXPORT_NAMES}


def gate_export(gate: GateDecision | None) -> str:
    """The gate's verdict with both values per metric, shortened to fit the approval text ("" = no gate)."""
    if gate is None:
        return ""
    text = gate.summary()
    return text if len(text) <= GATE_EXPORT_CHARS else text[: GATE_EXPORT_CHARS - 3] + "..."
