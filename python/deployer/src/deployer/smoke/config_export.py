"""The SageMaker Projects deploy template's `<stage>-config-export.json`, for test scripts written for it."""

from __future__ import annotations

import json
from pathlib import Path

from deployer.smoke.errors import SmokeConfigError


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
