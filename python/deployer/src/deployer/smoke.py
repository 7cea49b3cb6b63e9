"""Smoke tests from the stage repo, run against the live endpoint through `sagemaker-runtime` InvokeEndpoint.

File format: `<smoke_tests.dir>/cases.json` (the stage config's `smoke_tests.dir`, `tests/smoke` by default):

    {
      "cases": [
        {
          "name": "csv-batch",                        # unique, [A-Za-z0-9_.-]{1,64}
          "payload": "payloads/batch.csv",            # relative to the cases file, inside its directory
          "content_type": "text/csv",
          "accept": "text/csv",                       # default: content_type
          "expect": {                                 # every key optional
            "schema": {"type": "object", ...},        # JSON responses; type/required/properties/items/
                                                      # minimum/maximum/minItems/maxItems/enum
            "values": {"min": 0.0, "max": 1.0},       # over every predicted number
            "rows": 3,                                # CSV lines, or the JSON predictions' length
            "latency": {"p95_ms": 1000, "requests": 10}
          }
        }
      ]
    }

A bare list of cases is accepted too. Predictions of a JSON answer are `predictions` (or `values.path`) of an
object, or the answer itself when it is a list; of a CSV answer, every cell of every non-empty line.

Exceptions, and the deployer exit code each should map to: `SmokeConfigError` 2 (names the file and field),
`SmokeAccessDenied` 5; a report with a failing case maps to 4.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeGuard

from botocore.exceptions import BotoCoreError, ClientError

from deployer.aws_errors import is_access_denied

log = logging.getLogger(__name__)

CASES_FILE = "cases.json"
MAX_REQUESTS = 1000
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's real-time payload limit
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CASE_KEYS = {"name", "payload", "content_type", "accept", "expect", "target_variant"}
_EXPECT_KEYS = {"schema", "values", "rows", "latency"}
_SCHEMA_KEYS = {"type", "required", "properties", "items", "minimum", "maximum", "minItems", "maxItems", "enum"}
_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


class SmokeConfigError(ValueError):
    """The smoke-test file is missing or invalid (exit code 2). The message names the file and the field."""


class SmokeAccessDenied(Exception):
    """InvokeEndpoint was denied (exit code 5)."""


class RuntimeClient(Protocol):
    """The subset of a boto3 `sagemaker-runtime` client the smoke tests use."""

    def invoke_endpoint(self, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Latency:
    p95_ms: float
    requests: int


@dataclass(frozen=True)
class Expectations:
    schema: dict[str, Any] | None = None
    min_value: float | None = None
    max_value: float | None = None
    values_path: str = "predictions"
    rows: int | None = None
    latency: Latency | None = None


@dataclass(frozen=True)
class SmokeCase:
    name: str
    payload: Path
    content_type: str
    accept: str
    expect: Expectations = field(default_factory=Expectations)
    target_variant: str = ""  # empty: let the endpoint route


@dataclass(frozen=True)
class CaseResult:
    name: str
    passed: bool
    reason: str
    seconds: float
    requests: int = 0
    p95_ms: float | None = None
    invoked_variant: str = ""
    custom_attributes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "reason": self.reason,
            "seconds": round(self.seconds, 6),
            "requests": self.requests,
            "p95_ms": None if self.p95_ms is None else round(self.p95_ms, 3),
            "invoked_variant": self.invoked_variant,
            "custom_attributes": self.custom_attributes,
        }


@dataclass(frozen=True)
class SmokeReport:
    endpoint: str
    results: list[CaseResult]
    started_at: str

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "passed": self.passed,
            "started_at": self.started_at,
            "cases": [r.to_dict() for r in self.results],
        }


# -------------------------------------------------------------------- loading


def load_cases(smoke_dir: Path | str, filename: str = CASES_FILE) -> list[SmokeCase]:
    """Read and validate `<smoke_dir>/<filename>`; every payload must exist inside `smoke_dir`."""
    root = Path(smoke_dir)
    path = root / filename
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SmokeConfigError(f"{path}: smoke-test file not found (set smoke_tests.dir in the stage config)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SmokeConfigError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SmokeConfigError(f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    items = raw.get("cases") if isinstance(raw, dict) else raw
    if isinstance(raw, dict) and set(raw) - {"cases", "schema_version"}:
        raise SmokeConfigError(f"{path}: unknown top-level keys {sorted(set(raw) - {'cases', 'schema_version'})}")
    if not isinstance(items, list) or not items:
        raise SmokeConfigError(f"{path}: cases: expected a non-empty list of cases")
    cases: list[SmokeCase] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        case = _case(path, root, f"cases[{index}]", item)
        if case.name in seen:
            raise SmokeConfigError(f"{path}: cases[{index}].name: duplicate case name {case.name!r}")
        seen.add(case.name)
        cases.append(case)
    return cases


def _case(path: Path, root: Path, where: str, item: Any) -> SmokeCase:
    def fail(name: str, message: str) -> SmokeConfigError:
        return SmokeConfigError(f"{path}: {where}.{name}: {message}")

    if not isinstance(item, dict):
        raise SmokeConfigError(f"{path}: {where}: expected an object")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise fail("name", "expected 1-64 characters of [A-Za-z0-9_.-]")
    where = f"{where}({name})"
    if unknown := set(item) - _CASE_KEYS:
        raise fail(sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(_CASE_KEYS))})")
    content_type = item.get("content_type")
    if not isinstance(content_type, str) or not content_type:
        raise fail("content_type", "expected a MIME type such as text/csv or application/json")
    accept = item.get("accept", content_type)
    if not isinstance(accept, str) or not accept:
        raise fail("accept", "expected a MIME type")
    target_variant = item.get("target_variant", "")
    if not isinstance(target_variant, str):
        raise fail("target_variant", "expected a variant name")
    payload_rel = item.get("payload")
    if not isinstance(payload_rel, str) or not payload_rel or Path(payload_rel).is_absolute():
        raise fail("payload", "expected a path relative to the cases file")
    payload = (root / payload_rel).resolve()
    if not payload.is_relative_to(root.resolve()):
        raise fail("payload", f"{payload_rel} points outside {root}")
    if not payload.is_file():
        raise fail("payload", f"file {payload_rel} not found in {root}")
    if payload.stat().st_size > MAX_PAYLOAD_BYTES:
        raise fail("payload", f"{payload_rel} is larger than InvokeEndpoint's {MAX_PAYLOAD_BYTES} bytes")
    return SmokeCase(
        name=name,
        payload=payload,
        content_type=content_type,
        accept=accept,
        expect=_expectations(item.get("expect", {}), fail),
        target_variant=target_variant,
    )


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _expectations(raw: Any, fail: Callable[[str, str], SmokeConfigError]) -> Expectations:
    if not isinstance(raw, dict):
        raise fail("expect", "expected an object")
    if unknown := set(raw) - _EXPECT_KEYS:
        raise fail(f"expect.{sorted(unknown)[0]}", f"unknown key (allowed: {', '.join(sorted(_EXPECT_KEYS))})")
    schema = raw.get("schema")
    if schema is not None:
        try:
            check_schema(schema)
        except ValueError as exc:
            raise fail("expect.schema", str(exc)) from None
    values = raw.get("values", {})
    if not isinstance(values, dict) or set(values) - {"min", "max", "path"}:
        raise fail("expect.values", "expected {min, max, path}")
    low, high = values.get("min"), values.get("max")
    for key, bound in (("min", low), ("max", high)):
        if bound is not None and not _number(bound):
            raise fail(f"expect.values.{key}", "expected a number")
    if low is not None and high is not None and low > high:
        raise fail("expect.values", f"min {low} is greater than max {high}")
    path = values.get("path", "predictions")
    if not isinstance(path, str) or not path:
        raise fail("expect.values.path", "expected a key of the JSON answer")
    rows = raw.get("rows")
    if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 0):
        raise fail("expect.rows", "expected an integer >= 0")
    latency = None
    if "latency" in raw:
        spec = raw["latency"]
        if not isinstance(spec, dict) or set(spec) - {"p95_ms", "requests"}:
            raise fail("expect.latency", "expected {p95_ms, requests}")
        budget = spec.get("p95_ms")
        if not _number(budget) or budget <= 0:
            raise fail("expect.latency.p95_ms", "expected a number of milliseconds > 0")
        requests = spec.get("requests", 20)
        if not isinstance(requests, int) or isinstance(requests, bool) or not 1 <= requests <= MAX_REQUESTS:
            raise fail("expect.latency.requests", f"expected an integer 1-{MAX_REQUESTS}")
        latency = Latency(float(budget), requests)
    return Expectations(
        schema=schema,
        min_value=None if low is None else float(low),
        max_value=None if high is None else float(high),
        values_path=path,
        rows=rows,
        latency=latency,
    )


# -------------------------------------------------------------------- a small JSON-schema subset


def check_schema(schema: Any, where: str = "$") -> None:
    """Reject schemas that use keywords outside the supported subset, so a typo never passes silently."""
    if not isinstance(schema, dict):
        raise ValueError(f"{where}: a schema is an object")
    if unknown := set(schema) - _SCHEMA_KEYS:
        raise ValueError(
            f"{where}: unsupported keyword {sorted(unknown)[0]!r} (supported: {', '.join(sorted(_SCHEMA_KEYS))})"
        )
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    if any(k not in _TYPES for k in kinds):
        raise ValueError(f"{where}.type: expected one or a list of {', '.join(sorted(_TYPES))}")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise ValueError(f"{where}.required: expected a list of property names")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise ValueError(f"{where}.properties: expected an object")
    for name, sub in properties.items():
        check_schema(sub, f"{where}.properties.{name}")
    if "items" in schema:
        check_schema(schema["items"], f"{where}.items")
    for key in ("minimum", "maximum"):
        if key in schema and not _number(schema[key]):
            raise ValueError(f"{where}.{key}: expected a number")
    for key in ("minItems", "maxItems"):
        if key in schema and (not isinstance(schema[key], int) or schema[key] < 0):
            raise ValueError(f"{where}.{key}: expected an integer >= 0")
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise ValueError(f"{where}.enum: expected a list")


def _is_type(value: Any, kind: str) -> bool:
    match kind:
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case "string":
            return isinstance(value, str)
        case "number":
            return _number(value)
        case "integer":
            return _number(value) and float(value).is_integer()
        case "boolean":
            return isinstance(value, bool)
        case "null":
            return value is None
    return False


def validate(value: Any, schema: Mapping[str, Any], where: str = "$") -> list[str]:
    """Every violation of `schema` by `value`, as `<json path>: <problem>` lines."""
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(value, k) for k in kinds):
            return [f"{where}: expected {' or '.join(kinds)}, got {_type_name(value)}"]
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']!r}")
    if _number(value):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: {value} is above the maximum {schema['maximum']}")
    if isinstance(value, dict):
        problems.extend(
            f"{where}: missing required property {name!r}" for name in schema.get("required", []) if name not in value
        )
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems.extend(validate(value[name], sub, f"{where}.{name}"))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(f"{where}: {len(value)} items, expected at least {schema['minItems']}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{where}: {len(value)} items, expected at most {schema['maxItems']}")
        if "items" in schema:
            for index, item in enumerate(value):
                problems.extend(validate(item, schema["items"], f"{where}[{index}]"))
    return problems


def _type_name(value: Any) -> str:
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, kind):
            return kind
    return type(value).__name__


# -------------------------------------------------------------------- evaluating an answer


class CaseFailure(Exception):
    """One case failed; the message is the reason shown in the report and the JUnit XML."""


def _is_json(content_type: str) -> bool:
    return "json" in content_type.lower()


def _numbers(value: Any) -> Iterator[float]:
    if _number(value):
        yield float(value)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)


def evaluate(body: bytes, content_type: str, expect: Expectations) -> None:
    """Check one answer against the expectations; raise CaseFailure with the first reason."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseFailure(f"answer is not UTF-8 text ({len(body)} bytes)") from None
    if _is_json(content_type):
        try:
            answer = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaseFailure(f"answer is not JSON ({exc.msg}): {text[:200]!r}") from None
        if expect.schema is not None and (problems := validate(answer, expect.schema)):
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise CaseFailure("answer does not match the schema: " + "; ".join(problems[:3]) + more)
        predictions = answer.get(expect.values_path) if isinstance(answer, dict) else answer
        if (expect.rows is not None or expect.min_value is not None or expect.max_value is not None) and not (
            isinstance(predictions, list)
        ):
            raise CaseFailure(f"answer has no list of predictions at {expect.values_path!r}: {text[:200]!r}")
        rows = len(predictions) if isinstance(predictions, list) else 0
        values = list(_numbers(predictions))
    else:
        if expect.schema is not None:
            raise CaseFailure(f"a schema is expected but the answer is {content_type}, not JSON")
        lines = [line for line in text.splitlines() if line.strip()]
        rows = len(lines)
        values = []
        for number, line in enumerate(lines, 1):
            for cell in line.split(","):
                try:
                    values.append(float(cell))
                except ValueError:
                    raise CaseFailure(f"answer line {number} holds a non-numeric value {cell.strip()!r}") from None
    if expect.rows is not None and rows != expect.rows:
        raise CaseFailure(f"expected {expect.rows} predictions, got {rows}")
    if (expect.min_value is not None or expect.max_value is not None) and not values:
        raise CaseFailure("answer holds no numeric predictions")
    low = -math.inf if expect.min_value is None else expect.min_value
    high = math.inf if expect.max_value is None else expect.max_value
    if outside := [v for v in values if not (low <= v <= high) or not math.isfinite(v)]:
        raise CaseFailure(
            f"{len(outside)} of {len(values)} predictions outside [{expect.min_value}, {expect.max_value}], "
            f"e.g. {outside[0]}"
        )


def p95(samples: Sequence[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# -------------------------------------------------------------------- running


def _invoke(runtime: RuntimeClient, endpoint: str, case: SmokeCase, body: bytes) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "EndpointName": endpoint,
        "Body": body,
        "ContentType": case.content_type,
        "Accept": case.accept,
    }
    if case.target_variant:
        kwargs["TargetVariant"] = case.target_variant
    try:
        response: dict[str, Any] = runtime.invoke_endpoint(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        if is_access_denied(exc):
            raise SmokeAccessDenied(
                f"access denied: sagemaker:InvokeEndpoint on endpoint {endpoint}: {message}"
            ) from exc
        status = exc.response.get("OriginalStatusCode")
        raise CaseFailure(f"{code}{f' (model answered {status})' if status else ''}: {message}") from None
    except (BotoCoreError, TimeoutError) as exc:
        raise CaseFailure(f"InvokeEndpoint failed: {exc}") from None
    return response


def run_case(
    runtime: RuntimeClient, endpoint: str, case: SmokeCase, *, clock: Callable[[], float] = time.perf_counter
) -> CaseResult:
    """Invoke once and check the answer; with a latency budget, then time `requests` more invocations.

    The first, correctness request is not part of the p95: it also pays for the client's one-time costs
    (credentials from STS, a new TLS connection), which say nothing about the model's latency.
    """
    body = case.payload.read_bytes()
    started = clock()
    latencies: list[float] = []
    response: dict[str, Any] = {}
    sent_count = 0
    try:
        sent = clock()
        response = _invoke(runtime, endpoint, case, body)
        sent_count += 1
        answer = response["Body"].read() if hasattr(response.get("Body"), "read") else response.get("Body", b"")
        first_ms = (clock() - sent) * 1000.0
        # Correctness first: a wrong answer fails without spending the latency requests.
        evaluate(answer, str(response.get("ContentType") or case.accept), case.expect)
        for _ in range(case.expect.latency.requests if case.expect.latency else 0):
            sent = clock()
            response = _invoke(runtime, endpoint, case, body)
            sent_count += 1
            if hasattr(response.get("Body"), "read"):
                response["Body"].read()
            latencies.append((clock() - sent) * 1000.0)
        if not latencies:
            latencies = [first_ms]
        measured = p95(latencies)
        if case.expect.latency and measured > case.expect.latency.p95_ms:
            raise CaseFailure(
                f"p95 latency {measured:.1f} ms over {len(latencies)} requests exceeds the budget of "
                f"{case.expect.latency.p95_ms:g} ms"
            )
        reason = f"ok ({len(latencies)} requests, p95 {measured:.1f} ms)"
        passed = True
    except CaseFailure as failure:
        reason, passed = str(failure), False
    result = CaseResult(
        name=case.name,
        passed=passed,
        reason=reason,
        seconds=clock() - started,
        requests=sent_count,
        p95_ms=p95(latencies) if latencies else None,
        invoked_variant=str(response.get("InvokedProductionVariant", "")),
        custom_attributes=str(response.get("CustomAttributes", "")),
    )
    log.log(
        logging.INFO if passed else logging.ERROR, "smoke %s: %s: %s", "PASS" if passed else "FAIL", case.name, reason
    )
    return result


def run_smoke_tests(
    runtime: RuntimeClient,
    endpoint: str,
    cases: Sequence[SmokeCase],
    *,
    clock: Callable[[], float] = time.perf_counter,
    wall_clock: Callable[[], float] = time.time,
) -> SmokeReport:
    """Run every case (a failing case does not stop the others) and return the report."""
    started_at = datetime.fromtimestamp(wall_clock(), UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    results = [run_case(runtime, endpoint, case, clock=clock) for case in cases]
    report = SmokeReport(endpoint=endpoint, results=results, started_at=started_at)
    log.info("smoke tests on %s: %d of %d passed", endpoint, len(results) - len(report.failures), len(results))
    return report


# -------------------------------------------------------------------- outputs


def write_junit_xml(report: SmokeReport, path: Path | str, suite_name: str = "smoke") -> Path:
    """JUnit XML as CodeBuild test reports read it: testsuites/testsuite/testcase/failure."""
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
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"{suite_name}.{report.endpoint}", "name": result.name, "time": f"{result.seconds:.3f}"},
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
    ET.indent(suites)
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(target, encoding="utf-8", xml_declaration=True)
    return target


def write_config_export(directory: Path | str, project: str, stage: str, endpoint_name: str | None = None) -> Path:
    """Write `<stage>-config-export.json` as the SageMaker Projects deploy template's build step does.

    That template's test script derives the endpoint as `<SageMakerProjectName>-<StageName>`; when our endpoint has
    another name the script would test some other endpoint, so that is refused rather than written.
    """
    if endpoint_name is not None and endpoint_name != f"{project}-{stage}":
        raise SmokeConfigError(
            f"endpoint.name {endpoint_name!r} is not {project}-{stage}: a SageMaker Projects template test script "
            f"would invoke {project}-{stage} instead"
        )
    target = Path(directory) / f"{stage}-config-export.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {"Parameters": {"SageMakerProjectName": project, "StageName": stage}}
    target.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return target
