"""The JUnit XML report, as CodeBuild test reports read it: testsuites/testsuite/testcase/failure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from deployer.smoke.report import CaseResult, SmokeReport


def write_junit_xml(report: SmokeReport, path: Path | str, suite_name: str = "smoke") -> Path:
    """Write the report to `path` (creating its directory) and return that path."""
    target = Path(path)
    total = sum(r.seconds for r in report.results)
    counts = {"tests": str(len(report.results)), "failures": str(len(report.failures)), "errors": "0"}
    suites = ET.Element("testsuites", {"name": suite_name, **counts, "time": f"{total:.3f}"})
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": f"{suite_name}.{report.endpoint}",
            **counts,
            "skipped": "0",
            "time": f"{total:.3f}",
            "timestamp": report.started_at.removesuffix("Z"),
        },
    )
    for result in report.results:
        _testcase(suite, f"{suite_name}.{report.endpoint}", result)
    ET.indent(suites)
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(target, encoding="utf-8", xml_declaration=True)
    return target


def _testcase(suite: ET.Element, classname: str, result: CaseResult) -> None:
    case = ET.SubElement(
        suite, "testcase", {"classname": classname, "name": result.name, "time": f"{result.seconds:.3f}"}
    )
    if not result.passed:
        failure = ET.SubElement(case, "failure", {"message": result.reason, "type": "SmokeTestFailure"})
        failure.text = result.reason
    details = [f"requests={result.requests}"]
    if result.p95_ms is not None:
        details.append(f"p95_ms={result.p95_ms:.1f}")
    if result.invoked_variant:
        details.append(f"variant={result.invoked_variant}")
    if result.custom_attributes:
        details.append(f"custom_attributes={result.custom_attributes}")
    ET.SubElement(case, "system-out").text = " ".join(details)
