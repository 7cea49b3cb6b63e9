"""The JUnit XML stays well-formed whatever a model answers (issue 13, item 2): characters XML 1.0 forbids
become visible escapes in every name, attribute and text."""

from __future__ import annotations

import xml.dom.minidom
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from deployer.smoke import CaseResult, SmokeReport, load_cases, run_smoke_tests, write_junit_xml
from deployer.smoke.text import xml_safe
from tests.deployer.smoke_doubles import SEED_SMOKE, FakeRuntime

NASTY = "nul\x00 esc\x1b[31m vt\x0b ff\x0c lone\ud800 low\udfff nonchar\ufffe bell\x07"
KEPT = "tab\t ümlaut € 😀 \ufffd"


def test_forbidden_characters_become_visible_escapes() -> None:
    assert xml_safe(NASTY) == ("nul\\x00 esc\\x1b[31m vt\\x0b ff\\x0c lone\\ud800 low\\udfff nonchar\\ufffe bell\\x07")
    assert xml_safe(KEPT) == KEPT
    assert xml_safe("line one\nline two\r\n") == "line one\nline two\r\n"


def test_a_report_full_of_control_characters_is_well_formed(tmp_path: Path) -> None:
    failing = CaseResult(
        name=f"case {NASTY}",
        passed=False,
        reason=f'ModelError (model answered 500): Received server error (500) with message "{NASTY} {KEPT}"',
        seconds=0.25,
        requests=1,
        invoked_variant=f"AllTraffic\x01{KEPT}",
        custom_attributes=f"model_version=3;note={NASTY}",
    )
    passing = CaseResult(name="ok", passed=True, reason="ok (1 requests, p95 2.0 ms)", seconds=0.002)
    report = SmokeReport(f"churn-dev\x02{KEPT}", [failing, passing], "2026-01-01T00:00:00Z")

    path = write_junit_xml(report, tmp_path / "smoke.xml", suite_name="smoke\x1f.dev")

    xml.dom.minidom.parse(str(path))  # a second, stricter parser (expat, no recovery) accepts it as well
    root = ET.parse(path).getroot()
    assert root.get("name") == "smoke\\x1f.dev"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == f"smoke\\x1f.dev.churn-dev\\x02{KEPT}"
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    case, ok = suite.findall("testcase")
    assert case.get("name") == f"case {xml_safe(NASTY)}"
    assert "\\x1b[31m" in (case.get("name") or "") and "\\ud800" in (case.get("name") or "")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == xml_safe(failing.reason) == failure.text
    assert KEPT in (failure.text or "") and "Received server error (500)" in (failure.text or "")
    system_out = case.find("system-out")
    assert system_out is not None
    assert f"variant=AllTraffic\\x01{KEPT}" in (system_out.text or "")
    assert f"custom_attributes=model_version=3;note={xml_safe(NASTY)}" in (system_out.text or "")
    assert ok.get("name") == "ok" and ok.find("failure") is None


def test_a_model_error_is_reported_with_its_control_characters_escaped(tmp_path: Path) -> None:
    def garbled(request: dict[str, Any]) -> tuple[str, bytes]:
        raise ClientError({"Error": {"Code": "ModelError", "Message": NASTY}, "OriginalStatusCode": 500}, "Invoke")

    report = run_smoke_tests(FakeRuntime(garbled), "churn-dev", load_cases(SEED_SMOKE))
    # Escaped where it is made, so printing or logging the reason cannot fail to encode or drive a terminal.
    assert report.results[0].reason == f"ModelError (model answered 500): {xml_safe(NASTY)}"
    root = ET.parse(write_junit_xml(report, tmp_path / "smoke.xml")).getroot()
    assert [f.get("message") for f in root.iter("failure")] == [report.results[0].reason] * 2
