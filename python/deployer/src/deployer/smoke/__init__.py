"""Smoke tests from the stage repo, run against the live endpoint through `sagemaker-runtime` InvokeEndpoint.

File format: `<smoke_tests.dir>/cases.json` (the stage config's `smoke_tests.dir`, `tests/smoke` by default):

    {
      "cases": [
        {
          "name": "csv-batch",                        # unique, [A-Za-z0-9_.-]{1,64}
          "payload": "payloads/batch.csv",            # relative to the cases file, inside its directory
          "content_type": "text/csv",
          "accept": "text/csv",                       # default: content_type
          "expect": {                                 # every key optional; one check kind per key
            "schema": {"type": "object", ...},        # JSON responses; type/required/properties/items/
                                                      # minimum/maximum/minItems/maxItems/enum
            "values": {"min": 0.0, "max": 1.0},       # over every predicted number
            "rows": 3,                                # CSV lines, or the JSON predictions' length
            "answers": {"predictions": [0.12, 0.87, 0.5], "tolerance": 0.001},  # per line / list item
            "latency": {"p95_ms": 1000, "requests": 10}
          }
        }
      ]
    }

A bare list of cases is accepted too. Predictions of a JSON answer are `predictions` (or `values.path`) of an
object, or the answer itself when it is a list; of a CSV answer, every cell of every non-empty line.

Modules: `cases` (loading), `checks` (one class per `expect` key, and their registry), `expectations` (judging
an answer), `runner` (InvokeEndpoint), `junit` and `config_export` (outputs), `text` (a model's text made safe to print
and to put in XML). This package imports nothing of
the deployer but `deployer.aws_errors`.

Exceptions, and the deployer exit code each should map to: `SmokeConfigError` 2 (names the file and field),
`SmokeAccessDenied` 5; a report with a failing case maps to 4.
"""

from __future__ import annotations

from deployer.smoke.cases import CASES_FILE, MAX_PAYLOAD_BYTES, SmokeCase, load_cases
from deployer.smoke.checks import CHECK_KINDS, AnswersCheck, Check, LatencyCheck, RowsCheck, SchemaCheck, ValuesCheck
from deployer.smoke.checks.latency import MAX_REQUESTS, p95
from deployer.smoke.config_export import write_config_export
from deployer.smoke.errors import CaseFailure, CheckConfigError, SmokeAccessDenied, SmokeConfigError
from deployer.smoke.expectations import Expectations, evaluate, parse_expectations
from deployer.smoke.junit import write_junit_xml
from deployer.smoke.report import CaseResult, SmokeReport
from deployer.smoke.runner import RuntimeClient, run_case, run_smoke_tests
from deployer.smoke.schema_subset import check_schema, validate

__all__ = [
    "CASES_FILE",
    "CHECK_KINDS",
    "MAX_PAYLOAD_BYTES",
    "MAX_REQUESTS",
    "AnswersCheck",
    "CaseFailure",
    "CaseResult",
    "Check",
    "CheckConfigError",
    "Expectations",
    "LatencyCheck",
    "RowsCheck",
    "RuntimeClient",
    "SchemaCheck",
    "SmokeAccessDenied",
    "SmokeCase",
    "SmokeConfigError",
    "SmokeReport",
    "ValuesCheck",
    "check_schema",
    "evaluate",
    "load_cases",
    "p95",
    "parse_expectations",
    "run_case",
    "run_smoke_tests",
    "validate",
    "write_config_export",
    "write_junit_xml",
]
