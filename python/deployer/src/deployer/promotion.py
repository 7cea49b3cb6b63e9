"""Promotion across stages: the ledger-backed deploy, smoke tests with proof of the served version, promote,
explicit rollback, and the versions x stages status matrix.

`StageRun` wraps one stage's `StageDeployer` with what makes "prod = exactly what staging verified" a
guarantee:

- the endpoint's lease lock in the ledger around every change (renewed while waiting);
- a history entry for every deployment attempt and its outcome (who, what, when, result, build id);
- the candidate policy: newest Approved (first stage) or newest Approved and verified by the previous stage,
  never a version this stage was rolled back from;
- `test`: proof that the endpoint serves the version the ledger says was deployed, then the smoke tests,
  recorded in the ledger;
- `promote`: only a live, Approved, deployed-by-us, tested (and, later stages, upstream-verified) version is
  recorded as verified, mirrored into the registry metadata, and announced on the next stage's bus.

Every ledger/registry-marks/smoke exception is translated into the deployer hierarchy (`errors.translated`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer import endpoint as ep
from deployer import env
from deployer.aws_errors import ACCESS_DENIED_CODES
from deployer.config import StageConfig
from deployer.errors import (
    AccessDeniedError,
    DeployerError,
    InputError,
    NothingToDeployError,
    PromotionRefusedError,
    RecordError,
    RolledBackError,
    VerificationError,
    aws_call,
    translated,
)
from deployer.ledger import Deployment, HistoryEntry, Ledger, MarkKind, Outcome, dynamodb_ledger
from deployer.naming import is_ours, partition_of
from deployer.registry import (
    APPROVED,
    REJECTED,
    CandidatePolicy,
    ModelVersion,
    NewestApproved,
    NotRolledBack,
    VerifiedUpstream,
)
from deployer.registry_marks import RegistryMarks
from deployer.rollout import Action, Plan, RolloutResult, StageDeployer, stage_status
from deployer.sessions import AccountSessions, role_label
from deployer.smoke import (
    CaseResult,
    SmokeAccessDenied,
    SmokeReport,
    load_cases,
    run_smoke_tests,
    write_config_export,
)
from deployer.smoke import write_junit_xml as write_junit

log = logging.getLogger(__name__)

EVENT_SOURCE = "mlops.deployer"
EVENT_DETAIL_TYPE = "Model Version Verified"
DEFAULT_LOCK_POLL_SECONDS = 10.0
STATUS_VERSION_LIMIT = 20
OUTCOME_EVENTS = ("deployment", "rollback")


def lock_owner(build_id: str) -> str:
    """Unique per run: the build id (or `local`) plus a random tail, so two runs never share a lease."""
    return f"{build_id or 'local'}#{uuid.uuid4().hex[:8]}"


def is_success(entry: HistoryEntry) -> bool:
    """An outcome that leaves the endpoint on `entry.endpoint_config`: a deployment that succeeded (or a
    re-run that found it done and recorded it), or a rollback the deployer carried out."""
    if entry.event == "rollback":
        return True
    return entry.event == "deployment" and entry.result in (Outcome.SUCCEEDED.value, Outcome.NO_OP.value)


def latest_outcome(history: Sequence[HistoryEntry]) -> HistoryEntry | None:
    """The newest deployment or rollback entry that is not `started` (history is newest first)."""
    for entry in history:
        if entry.event in OUTCOME_EVENTS and entry.result != Outcome.STARTED.value:
            return entry
    return None


def latest_success(history: Sequence[HistoryEntry]) -> HistoryEntry | None:
    for entry in history:
        if entry.event in OUTCOME_EVENTS and is_success(entry):
            return entry
    return None


class LockKeeper:
    """Called on every poll while a rollout waits: renews the lease once a third of its TTL has passed."""

    def __init__(
        self, ledger: Ledger, endpoint: str, owner: str, ttl: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ledger = ledger
        self.endpoint = endpoint
        self.owner = owner
        self.ttl = ttl
        self._clock = clock
        self._renewed = clock()
        self.renewals = 0

    def __call__(self) -> None:
        if self._clock() - self._renewed < self.ttl / 3:
            return
        lease = self.ledger.renew_lock(self.endpoint, self.owner, self.ttl)
        self._renewed = self._clock()
        self.renewals += 1
        log.debug("renewed the lock on %s until %s", self.endpoint, lease.expires_at_iso)


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


@dataclass
class TestRun:
    stage: str
    serving: ServingProof
    report: SmokeReport
    problems: list[str] = field(default_factory=list)
    junit_xml: str = ""
    config_export: str = ""

    @property
    def passed(self) -> bool:
        return self.report.passed and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "passed": self.passed,
            "serving": self.serving.as_dict(),
            "problems": self.problems,
            "junit_xml": self.junit_xml or None,
            "config_export": self.config_export or None,
            **{k: v for k, v in self.report.to_dict().items() if k != "passed"},
        }

    def lines(self) -> list[str]:
        lines = [self.serving.line()]
        for case in self.report.results:
            lines.append(f"{'PASS' if case.passed else 'FAIL'} {case.name}: {case.reason}")
        total = len(self.report.results)
        failed = len(self.report.failures)
        verdict = "passed" if self.passed else "FAILED"
        lines.append(f"smoke tests {verdict}: {total - failed} of {total} case(s) passed on v{self.serving.version}")
        if self.junit_xml:
            lines.append(f"junit xml: {self.junit_xml}")
        if self.config_export:
            lines.append(f"config export: {self.config_export}")
        return lines


@dataclass
class PromoteResult:
    stage: str
    version: int
    model_package_arn: str
    verified_at: str
    newly_verified: bool
    next_stage: str
    event_id: str = ""
    event_sent: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        verified = "recorded" if self.newly_verified else "already recorded"
        lines = [f"verified: v{self.version} in {self.stage} ({verified} at {self.verified_at})"]
        if self.note:
            lines.append(self.note)
        return lines


class StageRun:
    """One stage: config, sessions, and the ledger-backed verbs."""

    def __init__(
        self,
        config: StageConfig,
        sessions: AccountSessions,
        *,
        keep: int = 3,
        poll_seconds: float | None = None,
        timeout_seconds: float | None = None,
        lock_ttl: int | None = None,
        lock_wait: float = 0.0,
        lock_poll: float | None = None,
        build_id: str | None = None,
    ) -> None:
        self.config = config
        self.build_id = env.build_id() if build_id is None else build_id
        self.sessions = sessions
        self.keep = keep
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self.lock_ttl = lock_ttl or env.lock_ttl_seconds()
        self.lock_wait = lock_wait
        self.lock_poll = lock_poll
        self._ledger: Ledger | None = None
        self._marks: RegistryMarks | None = None
        self._deployer: StageDeployer | None = None

    # -- wiring -------------------------------------------------------------------------------------------------------

    @property
    def stage(self) -> str:
        return self.config.stage

    @property
    def endpoint(self) -> str:
        return self.config.endpoint.name

    def guard(self) -> Any:
        """Translate ledger and registry-marks errors, naming the registry account and role."""
        r = self.config.registry
        return translated(r.account_id, role_label(r.role_arn))

    def ledger(self) -> Ledger:
        if self._ledger is None:
            r = self.config.registry
            client = self.sessions.client("dynamodb", r.role_arn, r.region)
            who = self.sessions.caller_arn("", self.config.target.region)
            self._ledger = dynamodb_ledger(
                client, self.config.ledger.table_name, caller_arn=who, build_id=self.build_id
            )
        return self._ledger

    def marks(self) -> RegistryMarks:
        if self._marks is None:
            r = self.config.registry
            self._marks = RegistryMarks(self.sessions.client("sagemaker", r.role_arn, r.region))
        return self._marks

    def deployer(
        self, *, policy: CandidatePolicy | None = None, keepalive: Callable[[], None] | None = None
    ) -> StageDeployer:
        """The StageDeployer for this run (created once; policy and keepalive are set on each call)."""
        if self._deployer is None:
            self._deployer = StageDeployer(
                self.config,
                self.sessions,
                poll_seconds=self.poll_seconds,
                keep=self.keep,
                timeout_seconds=self.timeout_seconds,
            )
        if policy is not None:
            self._deployer.policy = policy
        self._deployer.keepalive = keepalive
        return self._deployer

    def policy(self) -> CandidatePolicy:
        """The promotion contract, from the ledger: see the module docstring."""
        ledger = self.ledger()
        base: CandidatePolicy = NewestApproved()
        if self.config.previous_stage:
            marks = ledger.marks(self.config.previous_stage, MarkKind.VERIFIED)
            verified = {m.version: m.at for m in marks}
            base = VerifiedUpstream(
                self.config.previous_stage, verified, {m.version: m.model_package_arn for m in marks}
            )
        rolled_back = {
            m.version: f"at {m.at}" + (f" ({m.reason})" if m.reason else "")
            for m in ledger.marks(self.stage, MarkKind.ROLLED_BACK)
        }
        return NotRolledBack(base, self.stage, rolled_back) if rolled_back else base

    @contextmanager
    def _locked(self) -> Iterator[LockKeeper]:
        ledger = self.ledger()
        owner = lock_owner(ledger.build_id)
        poll = self.lock_poll
        if poll is None:  # a waiting deploy asks about as often as it polls the endpoint, at most every 10 s
            poll = min(DEFAULT_LOCK_POLL_SECONDS, 2 * env.poll_seconds(), self.lock_ttl / 3)
        ledger.acquire_lock(
            self.endpoint, owner, self.lock_ttl, stage=self.stage, wait_seconds=self.lock_wait, poll_seconds=poll
        )
        try:
            yield LockKeeper(ledger, self.endpoint, owner, self.lock_ttl)
        finally:
            try:
                ledger.release_lock(self.endpoint, owner)
            except Exception as exc:  # never hide the verb's own outcome; the lease expires by itself
                log.error(
                    "could not release the lock on %s (it expires in at most %ds): %s",
                    self.endpoint,
                    self.lock_ttl,
                    exc,
                )

    # -- plan ---------------------------------------------------------------------------------------------------------

    def plan(self, *, pinned: int | None = None, force: bool = False) -> tuple[Plan, str]:
        """The plan (with why the candidate was chosen) and a line about the endpoint's lock; changes nothing."""
        with self.guard():
            plan = self.deployer(policy=self.policy()).plan(pinned=pinned, force=force)
            holder = self.ledger().lock_holder(self.endpoint)
        if holder is None:
            return plan, "lock: free"
        return plan, (
            f"lock: held by {holder.owner} (build {holder.build_id or '-'}) until {holder.expires_at_iso}; "
            "a deploy now would fail with exit code 6"
        )

    # -- deploy -------------------------------------------------------------------------------------------------------

    def deploy(self, *, pinned: int | None = None, force: bool = False) -> RolloutResult:
        """Lock the endpoint, plan, roll out, record the outcome; a no-op repairs missing records."""
        with self.guard(), self._locked() as keeper:
            deployer = self.deployer(policy=self.policy(), keepalive=keeper)
            try:
                plan = deployer.plan(pinned=pinned, force=force)
            except NothingToDeployError as exc:
                raise NothingToDeployError(f"{exc}{self._rejected_live_note(deployer)}") from exc
            for line in plan.lines():
                log.info(line)
            return self._carry_out(deployer, plan, rollback_reason=None)

    def _rejected_live_note(self, deployer: StageDeployer) -> str:
        live = ep.live_state(deployer.target(), self.endpoint)
        if live is None or not live.package_arn:
            return ""
        if deployer.registry().status_of(live.package_arn) != REJECTED:
            return ""
        return (
            f"; live v{live.version} is Rejected but there is no good version to roll back to, so "
            f"{self.endpoint} keeps serving it (approve a version, or delete the endpoint)"
        )

    def _carry_out(self, deployer: StageDeployer, plan: Plan, *, rollback_reason: str | None) -> RolloutResult:
        if plan.action in (Action.WAIT, Action.REFUSE):
            return deployer.execute(plan)  # raises: nothing was attempted, so nothing is recorded
        if plan.action == Action.NOOP:
            result = deployer.execute(plan)
            self._reconcile_records(plan, result)
            return result
        ledger = self.ledger()
        deployment = Deployment(
            stage=self.stage,
            version=plan.candidate_version,
            model_package_arn=plan.candidate_arn,
            endpoint=self.endpoint,
            endpoint_config=plan.config_name,
            strategy="create" if plan.action == Action.CREATE else self.config.deployment.strategy,
        )
        ledger.record_deployment(deployment, Outcome.STARTED, reason=f"{plan.action}: {plan.reason}")
        try:
            with self.guard():  # a lost lease (LockLost) stops the wait: it is recorded like any failure
                result = deployer.execute(plan)
        except DeployerError as exc:
            self._record_failure(deployment, exc)
            raise
        except KeyboardInterrupt:
            self._record_failure(deployment, DeployerError("interrupted while the rollout ran"))
            raise
        try:
            with self.guard():
                self._record_success(plan, deployment, result, rollback_reason)
        except DeployerError as exc:
            raise RecordError(
                f"{result.message}, but recording it failed: {exc}. Re-run `deployer deploy --stage {self.stage}`: "
                f"it finds v{plan.candidate_version} live, changes nothing and repairs the record",
                exc.exit_code,
            ) from exc
        return result

    def _record_failure(self, deployment: Deployment, exc: DeployerError) -> None:
        outcome = Outcome.ROLLED_BACK if isinstance(exc, RolledBackError) else Outcome.FAILED
        try:
            with self.guard():
                self.ledger().record_deployment(deployment, outcome, reason=str(exc) or type(exc).__name__)
        except DeployerError as record_exc:  # never hide the rollout's own error behind the ledger's
            log.error("the failure could not be recorded in the ledger: %s", record_exc)

    def _record_success(
        self, plan: Plan, deployment: Deployment, result: RolloutResult, rollback_reason: str | None
    ) -> None:
        ledger, marks = self.ledger(), self.marks()
        if plan.action == Action.ROLLBACK and plan.live_version is not None:
            reason = rollback_reason or plan.reason
            entry = ledger.record_rollback(
                self.stage,
                from_version=plan.live_version,
                to_version=plan.candidate_version,
                endpoint=self.endpoint,
                reason=reason,
                model_package_arn=plan.candidate_arn,
                endpoint_config=plan.config_name,
                deployment_id=deployment.deployment_id,
            )
            result.outcome = "rolled-back"
            result.message = f"rolled {self.stage} back from v{plan.live_version} to v{plan.candidate_version}: " + (
                f"{reason}; {result.message}"
            )
            if plan.live_package_arn:
                marks.mark_rolled_back(plan.live_package_arn, self.stage, entry.at)
        else:
            ledger.record_deployment(deployment, Outcome.SUCCEEDED, reason=f"{plan.action}: {plan.reason}")
        if ledger.get_mark(self.stage, plan.candidate_version, MarkKind.ROLLED_BACK) is not None:
            ledger.clear_mark(
                self.stage,
                plan.candidate_version,
                MarkKind.ROLLED_BACK,
                f"v{plan.candidate_version} deployed again ({plan.candidate_reason or plan.reason})",
            )
        marks.move_live(self.stage, plan.candidate_arn, plan.live_package_arn or None)

    def _reconcile_records(self, plan: Plan, result: RolloutResult) -> None:
        """A no-op run makes sure the ledger and the registry say what the endpoint does (repairs a run that
        changed the endpoint but failed to record it). Nothing is written when they already agree."""
        ledger = self.ledger()
        last = latest_outcome(ledger.history(self.stage))
        agrees = (
            last is not None
            and is_success(last)
            and last.endpoint_config == plan.config_name
            and last.version == plan.candidate_version
        )
        if not agrees:
            if last is None:
                why = "the ledger had no deployment of this stage"
            else:
                why = f"the ledger's last outcome was v{last.version} {last.result} on {last.endpoint_config or '-'}"
            deployment = Deployment(
                self.stage, plan.candidate_version, plan.candidate_arn, self.endpoint, plan.config_name
            )
            ledger.record_deployment(
                deployment, Outcome.NO_OP, reason=f"endpoint already serves this config; recorded now because {why}"
            )
            result.warnings.append(f"repaired the ledger: {why}")
        self.marks().set_live(plan.candidate_arn, self.stage)

    # -- rollback -----------------------------------------------------------------------------------------------------

    def rollback(self, *, to_version: int | None = None, force: bool = False, reason: str = "") -> RolloutResult:
        """Explicit rollback to `to_version`, or to the newest good version older than the live one."""
        reason = reason.strip()
        if force and not reason:
            raise InputError('--force needs --reason "..." (the reason is recorded in the ledger)')
        with self.guard(), self._locked() as keeper:
            policy = self.policy()
            deployer = self.deployer(policy=policy, keepalive=keeper)
            live = ep.live_state(deployer.target(), self.endpoint)
            if live is None or live.version is None:
                raise InputError(f"endpoint {self.endpoint} has no live model version to roll back from")
            registry = deployer.registry()
            chosen: ModelVersion | None
            if to_version is None:
                chosen, why = self._newest_good_older(registry.versions(), live.version, policy)
            else:
                chosen, why = self._check_target(registry.find(to_version), to_version, live.version, policy, force)
            if chosen is None:
                plan = deployer.plan(pinned=live.version, force=True)
                return RolloutResult(plan, "no-op", f"v{live.version} is already live on {self.endpoint}")
            plan = deployer.plan(pinned=chosen.version, force=True)
            for line in plan.lines():
                log.info(line)
            text = f"operator rollback from v{live.version} to v{chosen.version}: {reason or 'no reason given'}"
            if why:
                text += f" (forced: {why})"
            return self._carry_out(deployer, plan, rollback_reason=text)

    def _newest_good_older(
        self, versions: Iterator[ModelVersion], live: int, policy: CandidatePolicy
    ) -> tuple[ModelVersion, str]:
        passed_over: list[str] = []
        for version in versions:
            if version.version >= live:
                continue
            if version.status != APPROVED:
                passed_over.append(f"v{version.version} is {version.status or 'without approval status'}")
                continue
            verdict = policy.judge(version)
            if verdict.eligible:
                return version, ""
            passed_over.append(verdict.reason)
        detail = "; ".join(passed_over[:10]) or "there is no older version"
        raise NothingToDeployError(
            f"nothing to roll back to: no {policy.describe()} older than live v{live} ({detail})"
        )

    @staticmethod
    def _check_target(
        found: ModelVersion | None, wanted: int, live: int, policy: CandidatePolicy, force: bool
    ) -> tuple[ModelVersion | None, str]:
        if found is None:
            raise InputError(f"--to-version {wanted}: no such version in the model package group")
        if wanted == live:
            return None, ""
        if wanted > live:
            raise InputError(
                f"--to-version {wanted}: not older than live v{live} (a rollback goes back; use deploy --model-version)"
            )
        problem = ""
        if found.status != APPROVED:
            problem = f"v{wanted} is {found.status or 'without approval status'}"
        else:
            verdict = policy.judge(found)
            if not verdict.eligible:
                problem = verdict.reason
        if problem and not force:
            raise InputError(f'--to-version {wanted}: {problem} (pass --force --reason "..." to roll back anyway)')
        return found, problem

    # -- proof of what is served ---------------------------------------------------------------------------------------

    def prove_serving(self, *, ledger: bool = True) -> ServingProof:
        """The endpoint is InService on a config the deployer created for version N, tagged so, and the ledger's
        last successful outcome for the stage is exactly that config. Raises VerificationError otherwise.

        With `ledger=False` the proof stops at the endpoint and its tags (a role without registry access, such
        as the pipeline's test role, cannot read the ledger)."""
        deployer = self.deployer()
        target = deployer.target()
        live = ep.live_state(target, self.endpoint)
        where = f"account {target.account}"
        if live is None:
            raise VerificationError(f"endpoint {self.endpoint} does not exist in {where}")
        if live.status != ep.IN_SERVICE:
            reason = f" ({live.failure_reason})" if live.failure_reason else ""
            raise VerificationError(f"endpoint {self.endpoint} is {live.status}{reason}, not InService")
        if live.pending_config:
            raise VerificationError(f"endpoint {self.endpoint} has an update to {live.pending_config} in progress")
        if not is_ours(live.config_name, self.endpoint) or live.version is None:
            raise VerificationError(
                f"endpoint {self.endpoint} serves {live.config_name}, which the deployer did not create"
            )
        config = ep.describe_endpoint_config(target, live.config_name) or {}
        with target.call("sagemaker:ListTags"):
            tags = {
                t["Key"]: t["Value"]
                for t in target.sagemaker.list_tags(ResourceArn=config.get("EndpointConfigArn", "")).get("Tags", [])
            }
        expected = {
            "deployer:stage": self.stage,
            "deployer:model-version": str(live.version),
            "deployer:model-package-arn": live.package_arn,
        }
        wrong = [f"{k}={tags.get(k, '<missing>')} (expected {v})" for k, v in expected.items() if tags.get(k) != v]
        if wrong:
            raise VerificationError(f"endpoint config {live.config_name} is not tagged as ours: {', '.join(wrong)}")
        if not ledger:
            return ServingProof(
                endpoint=self.endpoint,
                version=live.version,
                model_package_arn=live.package_arn,
                config=live.config_name,
                status=live.status,
                deployed_at="",
                deployment_id="",
                deployed_by="",
                build_id="",
            )
        with self.guard():
            last = latest_success(self.ledger().history(self.stage))
        if last is None:
            raise VerificationError(
                f"the ledger records no deployment of {self.stage}; run `deployer deploy --stage {self.stage}` "
                "(on a live endpoint it changes nothing and records what is live)"
            )
        if last.endpoint_config != live.config_name:
            raise VerificationError(
                f"endpoint {self.endpoint} serves {live.config_name} (v{live.version}), but the ledger's last "
                f"successful deployment of {self.stage} is v{last.version} on {last.endpoint_config} at {last.at}"
            )
        return ServingProof(
            endpoint=self.endpoint,
            version=live.version,
            model_package_arn=live.package_arn,
            config=live.config_name,
            status=live.status,
            deployed_at=last.at,
            deployment_id=last.deployment_id,
            deployed_by=last.caller_arn,
            build_id=last.build_id,
        )

    # -- test ---------------------------------------------------------------------------------------------------------

    def smoke_dir(self, config_dir: Path) -> Path:
        """`smoke_tests.dir` is relative to the repo root, the parent of the config directory."""
        return config_dir.resolve().parent / self.config.smoke_tests_dir

    def test(
        self,
        config_dir: Path,
        *,
        junit_xml: Path | None = None,
        export_dir: Path | None = None,
        export_required: bool = False,
        record: bool = True,
    ) -> TestRun:
        """Prove what is served, run the smoke tests, write the reports, record the outcome in the ledger.

        With `record=False` the ledger is neither read nor written: the run only reports (the team's Test
        action; the platform's Promote action runs the smoke cases again and records them)."""
        serving = self.prove_serving(ledger=record)
        log.info(serving.line())
        with self.guard():
            cases = load_cases(self.smoke_dir(config_dir))
        target = self.deployer().target()
        try:
            report = run_smoke_tests(target.runtime, self.endpoint, cases)
        except SmokeAccessDenied as exc:
            raise AccessDeniedError(
                target.account, role_label(target.role), f"sagemaker:InvokeEndpoint on {self.endpoint}", str(exc)
            ) from exc
        problems = []
        for case in report.results:
            answered = _attribute(case.custom_attributes, "model_version")
            if answered and answered != str(serving.version):
                problems.append(
                    f"{case.name}: answered by model version {answered} (CustomAttributes), expected v{serving.version}"
                )
        if problems:  # a case of its own, so the JUnit report shows it too
            mismatch = CaseResult("served-version", False, "; ".join(problems), 0.0)
            report = SmokeReport(report.endpoint, [*report.results, mismatch], report.started_at)
        run = TestRun(self.stage, serving, report, problems)
        if junit_xml is not None:
            run.junit_xml = str(write_junit(report, junit_xml, suite_name=f"smoke.{self.stage}"))
        if export_dir is not None:
            run.config_export = self._export(export_dir, required=export_required)
        summary = f"{len(report.results) - len(report.failures)} of {len(report.results)} case(s) passed"
        if run.problems:
            summary += f"; {'; '.join(run.problems)}"
        if not record:
            return run
        with self.guard():
            self.ledger().record_smoke_test(
                self.stage,
                serving.version,
                passed=run.passed,
                model_package_arn=serving.model_package_arn,
                endpoint=self.endpoint,
                endpoint_config=serving.config,
                reason=summary,
                details={"failed": ",".join(r.name for r in report.failures)[:1000]},
            )
        return run

    def _export(self, directory: Path, *, required: bool) -> str:
        try:
            with self.guard():
                return str(write_config_export(directory, self.config.project, self.stage, self.endpoint))
        except InputError as exc:
            if required:
                raise
            log.warning("config export not written: %s", exc)
            return ""

    # -- promote ------------------------------------------------------------------------------------------------------

    def promote(self) -> PromoteResult:
        """Record "verified" for the live version, mirror the marks, and start the next stage."""
        with self.guard(), self._locked():
            serving = self.prove_serving()
            registry = self.deployer().registry()
            approval = registry.status_of(serving.model_package_arn)
            if approval != APPROVED:
                raise PromotionRefusedError(
                    f"not promoting: live v{serving.version} is {approval or 'unknown'} in the registry, not Approved"
                )
            ledger = self.ledger()
            history = ledger.history(self.stage)
            last = latest_outcome(history)
            if last is not None and not is_success(last):
                raise PromotionRefusedError(
                    f"not promoting: the last deployment of {self.stage} (v{last.version}) ended {last.result} at "
                    f"{last.at}: {last.reason}"
                )
            smoke = next((e for e in history if e.event == "smoke_test"), None)
            if smoke is None or smoke.at < serving.deployed_at or smoke.endpoint_config != serving.config:
                raise PromotionRefusedError(
                    f"not promoting: no smoke-test run of v{serving.version} on {serving.config} since it was "
                    f"deployed at {serving.deployed_at} (run `deployer test --stage {self.stage}` first)"
                )
            if smoke.result != Outcome.SUCCEEDED.value:
                raise PromotionRefusedError(
                    f"not promoting: the smoke tests of v{serving.version} failed at {smoke.at}: {smoke.reason}"
                )
            previous = self.config.previous_stage
            if previous and not ledger.is_verified(previous, serving.version):
                raise PromotionRefusedError(
                    f"not promoting: v{serving.version} was not verified in {previous} (deployed with --force?)"
                )
            newly = ledger.record_verified(
                self.stage,
                serving.version,
                serving.model_package_arn,
                endpoint=self.endpoint,
                deployment_id=serving.deployment_id,
                reason=f"smoke tests passed at {smoke.at}: {smoke.reason}",
            )
            mark = ledger.get_mark(self.stage, serving.version, MarkKind.VERIFIED)
            verified_at = mark.at if mark else smoke.at
            result = PromoteResult(
                self.stage,
                serving.version,
                serving.model_package_arn,
                verified_at,
                newly,
                self.config.next_stage,
            )
            marks = self.marks()
            marks.mark_verified(serving.model_package_arn, self.stage, verified_at)
            marks.set_live(serving.model_package_arn, self.stage)
            bus = self.config.ledger.next_stage_event_bus_arn
            if not bus:
                result.note = f"{self.stage} is the last stage: recorded only, no event"
                return result
            promoted = ledger.get_mark(self.stage, serving.version, MarkKind.PROMOTED)
            if promoted is not None:
                result.note = (
                    f"v{serving.version} was already promoted to {self.config.next_stage} at {promoted.at}; "
                    "no event sent again"
                )
                return result
            result.event_id = self._put_event(serving, verified_at, bus)
            result.event_sent = True
            ledger.record_promoted(
                self.stage,
                serving.version,
                next_stage=self.config.next_stage,
                event_id=result.event_id,
                event_bus_arn=bus,
                model_package_arn=serving.model_package_arn,
            )
            result.note = f"promoted: event {result.event_id} put on {bus} for {self.config.next_stage}"
            return result

    def _put_event(self, serving: ServingProof, verified_at: str, bus: str) -> str:
        """Put "Model Version Verified" on the next stage's bus with the target credentials: the CodeBuild role
        that the next stage's bus policy names (modules/stage: PreviousStagePutEvents, PromoteToNextStage)."""
        t = self.config.target
        region = bus.split(":")[3] or t.region
        events = self.sessions.client("events", t.role_arn, region)
        detail = {
            "project": self.config.project,
            "stage": self.stage,
            "next_stage": self.config.next_stage,
            "model_version": serving.version,
            "model_package_arn": serving.model_package_arn,
            "model_package_group": self.config.registry.group_arn,
            "endpoint": self.endpoint,
            "endpoint_config": serving.config,
            "verified_at": verified_at,
            "build_id": self.ledger().build_id,
        }
        action = f"events:PutEvents on {bus}"
        with aws_call(action, t.account_id, role_label(t.role_arn)):
            answer = events.put_events(
                Entries=[
                    {
                        "Source": EVENT_SOURCE,
                        "DetailType": EVENT_DETAIL_TYPE,
                        "Detail": json.dumps(detail, sort_keys=True),
                        "EventBusName": bus,
                        "Resources": [serving.model_package_arn],
                    }
                ]
            )
        entry = (answer.get("Entries") or [{}])[0]
        if answer.get("FailedEntryCount") or not entry.get("EventId"):
            code, message = entry.get("ErrorCode", "unknown"), entry.get("ErrorMessage", "no EventId returned")
            if str(code) in ACCESS_DENIED_CODES:
                raise AccessDeniedError(t.account_id, role_label(t.role_arn), action, f"{code}: {message}")
            raise DeployerError(f"{action}: the event was not accepted: {code}: {message}")
        log.info("put %s event %s on %s", EVENT_DETAIL_TYPE, entry["EventId"], bus)
        return str(entry["EventId"])


def _attribute(custom_attributes: str, name: str) -> str:
    """`name` from `k=v;k=v` CustomAttributes, or ""."""
    for part in custom_attributes.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


# -- status matrix --------------------------------------------------------------------------------------------------


def _stage_view(config: StageConfig, sessions: AccountSessions) -> dict[str, Any]:
    """One stage's endpoint (or why it cannot be read) and its ledger marks; never raises for AWS errors."""
    view: dict[str, Any] = {
        "stage": config.stage,
        "endpoint": config.endpoint.name,
        "account": config.target.account_id,
    }
    errors: list[str] = []
    try:
        view.update(stage_status(config, sessions))
        view["live_source"] = "endpoint"
    except DeployerError as exc:
        errors.append(f"endpoint: {exc}")
        view.update({"status": "unknown", "live_version": None, "live_source": ""})
    run = StageRun(config, sessions)
    marks: dict[str, dict[int, str]] = {k.value: {} for k in MarkKind}
    try:
        with run.guard():
            ledger = run.ledger()
            for mark in ledger.marks(config.stage):
                marks[mark.kind][mark.version] = mark.at
            history = ledger.history(config.stage, limit=50)
        last = latest_outcome(history)
        success = latest_success(history)
        view["last_outcome"] = (
            {"version": last.version, "event": last.event, "result": last.result, "at": last.at, "reason": last.reason}
            if last
            else None
        )
        if view.get("live_source") != "endpoint" and success is not None:
            view["live_version"] = success.version
            view["live_source"] = "ledger"
    except DeployerError as exc:
        errors.append(f"ledger: {exc}")
    view["marks"] = {kind: {str(v): at for v, at in sorted(m.items(), reverse=True)} for kind, m in marks.items()}
    view["errors"] = errors
    for error in errors:
        log.warning("%s: %s", config.stage, error)
    return view


def _versions(config: StageConfig, sessions: AccountSessions, limit: int) -> list[ModelVersion]:
    reader = StageDeployer(config, sessions).registry()
    found: list[ModelVersion] = []
    for version in reader.versions():
        found.append(version)
        if len(found) >= limit:
            break
    return found


def with_read_role(config: StageConfig, role_name: str) -> StageConfig:
    """The config with every account it names (registry/ledger and target) reached through `role_name` in
    that account: the operator's read-only view (say OrganizationAccountAccessRole, or a ReadOnly role),
    instead of the pipeline's roles. Only `status` uses it."""
    registry, target = config.registry, config.target
    return dataclasses.replace(
        config,
        registry=dataclasses.replace(
            registry, role_arn=f"arn:{partition_of(registry.region)}:iam::{registry.account_id}:role/{role_name}"
        ),
        target=dataclasses.replace(
            target, role_arn=f"arn:{partition_of(target.region)}:iam::{target.account_id}:role/{role_name}"
        ),
    )


def chain_order(configs: Sequence[StageConfig]) -> list[StageConfig]:
    """Stages in pipeline order (following previous_stage), then any that fit nowhere, by name."""
    by_name = {c.stage: c for c in configs}
    ordered: list[StageConfig] = []
    heads = sorted(c.stage for c in configs if c.previous_stage not in by_name)
    for head in heads:
        current: StageConfig | None = by_name[head]
        while current is not None and current not in ordered:
            ordered.append(current)
            current = next((c for c in configs if c.previous_stage == current.stage and c not in ordered), None)
    ordered.extend(c for c in sorted(configs, key=lambda c: c.stage) if c not in ordered)
    return ordered


def status_matrix(
    configs: Sequence[StageConfig], sessions_for: Callable[[str], AccountSessions], *, limit: int = STATUS_VERSION_LIMIT
) -> dict[str, Any]:
    """Versions (newest first, at most `limit`) x stages: approval, live, verified, rolled back, promoted.

    Stages are read concurrently (each is another account). A stage whose endpoint cannot be read (the
    operator's credentials may not reach it) takes its live version from the ledger's last successful outcome.
    """
    if not configs:
        raise InputError("no stage configs")
    configs = chain_order(configs)
    with ThreadPoolExecutor(max_workers=min(8, len(configs) + 1)) as pool:
        versions_future = pool.submit(_versions, configs[0], sessions_for(configs[0].stage), limit)
        views = list(pool.map(lambda c: _stage_view(c, sessions_for(c.stage)), configs))
        versions = versions_future.result()
    rows = []
    for version in versions:
        cells: dict[str, Any] = {}
        for view in views:
            marks = view["marks"]
            key = str(version.version)
            cells[view["stage"]] = {
                "live": view.get("live_version") == version.version,
                "verified_at": marks["verified"].get(key),
                "rolled_back_at": marks["rolled_back"].get(key),
                "promoted_at": marks["promoted"].get(key),
            }
        rows.append(
            {
                "version": version.version,
                "model_package_arn": version.arn,
                "approval": version.status,
                "created": version.created.isoformat() if version.created else None,
                "stages": cells,
            }
        )
    return {"stages": views, "versions": rows}


def matrix_lines(matrix: dict[str, Any]) -> list[str]:
    """Per-stage endpoint lines, then a plain table: version, approval, one column per stage."""
    lines = []
    stages = [view["stage"] for view in matrix["stages"]]
    for view in matrix["stages"]:
        live = f"v{view['live_version']}" if view.get("live_version") is not None else "none"
        if view.get("live_source") == "ledger":
            live += " (from the ledger)"
        line = f"{view['stage']}: endpoint={view['endpoint']} status={view.get('status', 'unknown')} live={live}"
        if view.get("endpoint_config"):
            line += f" config={view['endpoint_config']}"
        if view.get("last_modified"):
            line += f" last_modified={view['last_modified']}"
        if view.get("failure_reason"):
            line += f" reason={view['failure_reason']}"
        lines.append(line)
        lines.extend(f"{view['stage']}: unreadable: {error}" for error in view.get("errors", []))
    header = ["version", "approval", *stages]
    table = [header]
    for row in matrix["versions"]:
        cells = [f"v{row['version']}", row["approval"] or "-"]
        for stage in stages:
            cell = row["stages"][stage]
            flags = [
                name
                for name, on in (
                    ("live", cell["live"]),
                    ("verified", cell["verified_at"]),
                    ("rolled-back", cell["rolled_back_at"]),
                )
                if on
            ]
            cells.append(",".join(flags) or "-")
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines.append("")
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)
    if not matrix["versions"]:
        lines.append("(the model package group has no versions)")
    return lines
