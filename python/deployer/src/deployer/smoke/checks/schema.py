"""`expect.schema`: a JSON answer matches a schema of the supported subset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from deployer.smoke.answer import Answer
from deployer.smoke.checks.base import Check
from deployer.smoke.errors import CaseFailure, CheckConfigError
from deployer.smoke.schema_subset import check_schema, validate

MAX_REPORTED = 3


@dataclass(frozen=True)
class SchemaCheck(Check):
    key: ClassVar[str] = "schema"
    schema: dict[str, Any]

    @classmethod
    def parse(cls, spec: Any) -> Self | None:
        if spec is None:
            return None
        try:
            check_schema(spec)
        except ValueError as exc:
            raise CheckConfigError(str(exc)) from None
        return cls(spec)

    def check_answer(self, answer: Answer) -> None:
        if not answer.is_json:
            raise CaseFailure(f"a schema is expected but the answer is {answer.content_type}, not JSON")
        if problems := validate(answer.document, self.schema):
            more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
            raise CaseFailure("answer does not match the schema: " + "; ".join(problems[:MAX_REPORTED]) + more)
