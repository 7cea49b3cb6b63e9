"""The JUnit XML report, as CodeBuild test reports read it: testsuites/testsuite/testcase/failure.

Every text and attribute goes through `xml_safe`: a model's error message may hold control characters or lone
surrogates, which XML 1.0 forbids (ElementTree writes them anyway, or fails to encode a surrogate), and a
report CodeBuild cannot parse would hide the very failure it is about.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from deployer.smoke.report import CaseResult, SmokeReport
from deployer.smoke.text import xml_safe


def _element(parent: ET.Element, tag: str, attributes: dict[str, str], text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: xml_safe(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def write_junit_xml(report: SmokeReport, path: Path | str, suite_name: str = "smoke") -> Path:
    """Write the report to `path` (creating its directory) and return that path."""
    target = Path(path)
    total = sum(r.seconds for r in report.results)
    counts = {"tests": str(len(report.results)), "failures": str(len(report.failures)), "errors": "0"}
    suites = ET.Element("testsuites", {"name": xml_safe(suite_name), **counts, "time": f"{total:.3f}"})
    suite = _element(
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
    case = _element(suite, "testcase", {"classname": classname, "name": result.name, "time": f"{result.seconds:.3f}"})
    if not result.passed:
        _element(case, "failure", {"message": result.reason, "type": "SmokeTestFailure"}, result.reason)
    details = [f"requests={result.requests}"]
    if result.p95_ms is not None:
        details.append(f"p95_ms={result.p95_ms:.1f}")
    if result.invoked_variant:
        details.append(f"variant={result.invoked_variant}")
    if result.custom_attributes:
        details.append(f"custom_attributes={result.custom_attributes}")
    _element(case, "system-out", {}, " ".join(details))
