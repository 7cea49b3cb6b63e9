"""The smoke-test run of `deployer test`: prove what is served, run the stage repo's cases against it, write
the reports, and record the outcome in the ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.errors import AccessDeniedError, InputError
from deployer.promotion.context import StageContext
from deployer.promotion.serving import ServingProof, prove_serving
from deployer.sessions import role_label
from deployer.smoke import CaseResult, SmokeAccessDenied, SmokeReport, load_cases, run_smoke_tests, write_config_export
from deployer.smoke import write_junit_xml as write_junit

log = logging.getLogger(__name__)


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


def smoke_dir(context: StageContext, config_dir: Path) -> Path:
    """`smoke_tests.dir` is relative to the repo root, the parent of the config directory."""
    return config_dir.resolve().parent / context.config.smoke_tests_dir


def check_smoke_files(context: StageContext, config_dir: Path) -> int:
    """Before a deploy changes anything: the stage's smoke cases parse and stay inside the repository (they run
    only after the endpoint switched). Returns how many cases there are; 0 when the stage has none."""
    if not context.config.smoke_tests_dir:
        return 0
    repo = config_dir.resolve().parent
    directory = smoke_dir(context, config_dir).resolve()
    if not directory.is_relative_to(repo):
        raise InputError(
            f"{context.config.source}: smoke_tests.dir: {context.config.smoke_tests_dir!r} leads to {directory}, "
            f"outside the repository (allowed: a directory inside {repo})"
        )
    return len(load_cases(directory))


def run_tests(
    context: StageContext,
    config_dir: Path,
    *,
    junit_xml: Path | None = None,
    export_dir: Path | None = None,
    export_required: bool = False,
    record: bool = True,
) -> TestRun:
    """With `record=False` the ledger is neither read nor written: the run only reports (the team's Test
    action; the platform's Promote action runs the smoke cases again and records them)."""
    serving = prove_serving(context, ledger=record)
    log.info(serving.line())
    report = _run_cases(context, config_dir)
    problems = _version_mismatches(report, serving)
    if problems:  # a case of its own, so the JUnit report shows it too
        mismatch = CaseResult("served-version", False, "; ".join(problems), 0.0)
        report = SmokeReport(report.endpoint, [*report.results, mismatch], report.started_at)
    run = TestRun(context.stage, serving, report, problems)
    if junit_xml is not None:
        run.junit_xml = str(write_junit(report, junit_xml, suite_name=f"smoke.{context.stage}"))
    if export_dir is not None:
        run.config_export = _export(context, export_dir, required=export_required)
    if record:
        _record(context, run)
    return run


def _run_cases(context: StageContext, config_dir: Path) -> SmokeReport:
    with context.guard():
        cases = load_cases(smoke_dir(context, config_dir))
    target = context.deployer().target()
    try:
        return run_smoke_tests(target.runtime, context.endpoint, cases)
    except SmokeAccessDenied as exc:
        raise AccessDeniedError(
            target.account, role_label(target.role), f"sagemaker:InvokeEndpoint on {context.endpoint}", str(exc)
        ) from exc


def _version_mismatches(report: SmokeReport, serving: ServingProof) -> list[str]:
    """Cases whose answer names another model version in its CustomAttributes than the one proven."""
    problems = []
    for case in report.results:
        answered = _attribute(case.custom_attributes, "model_version")
        if answered and answered != str(serving.version):
            problems.append(
                f"{case.name}: answered by model version {answered} (CustomAttributes), expected v{serving.version}"
            )
    return problems


def _record(context: StageContext, run: TestRun) -> None:
    report, serving = run.report, run.serving
    summary = f"{len(report.results) - len(report.failures)} of {len(report.results)} case(s) passed"
    if run.problems:
        summary += f"; {'; '.join(run.problems)}"
    with context.guard():
        context.ledger().record_smoke_test(
            context.stage,
            serving.version,
            passed=run.passed,
            model_package_arn=serving.model_package_arn,
            endpoint=context.endpoint,
            endpoint_config=serving.config,
            reason=summary,
            details={"failed": ",".join(r.name for r in report.failures)[:1000]},
        )


def _export(context: StageContext, directory: Path, *, required: bool) -> str:
    try:
        with context.guard():
            return str(write_config_export(directory, context.config.project, context.stage, context.endpoint))
    except InputError as exc:
        if required:
            raise
        log.warning("config export not written: %s", exc)
        return ""


def _attribute(custom_attributes: str, name: str) -> str:
    """`name` from `k=v;k=v` CustomAttributes, or ""."""
    for part in custom_attributes.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""
