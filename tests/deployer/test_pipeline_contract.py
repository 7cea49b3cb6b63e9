"""The deployer and the stage module agree on what the Plan action exports to the pipeline."""

from __future__ import annotations

import re

from deployer.promotion.planning import EXPORT_NAMES
from tests.support import REPO


def test_plan_exports_are_the_variables_the_module_exports_and_the_approval_reads() -> None:
    buildspecs = (REPO / "modules" / "stage" / "buildspecs.tf").read_text()
    listed = re.search(r"plan_exports = \[(.*?)\]", buildspecs, re.S)
    assert listed, "modules/stage/buildspecs.tf lost its plan_exports list"
    assert tuple(re.findall(r'"([A-Z_]+)"', listed.group(1))) == EXPORT_NAMES
    pipeline = (REPO / "modules" / "stage" / "pipeline.tf").read_text()
    read = set(re.findall(r"#\{Plan\.([A-Z_]+)\}", pipeline))
    assert read and read <= set(EXPORT_NAMES), read - set(EXPORT_NAMES)
