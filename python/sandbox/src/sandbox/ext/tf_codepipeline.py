"""CodePipeline timestamps as numbers, as AWS's JSON protocol sends them.

moto renders GetPipeline's metadata.created/updated and ListPipelines' created/updated as ISO
text; the Go SDK in the aws provider fails to decode them ("expected Timestamp to be a JSON
Number"). Pipeline execution times belong to ext/codepipeline_runtime.py.
"""

from __future__ import annotations

import logging

from moto.codepipeline.models import CodePipeline
from moto.core.utils import unix_time

from sandbox.ext import _patch

log = logging.getLogger(__name__)


def _metadata(self: CodePipeline) -> dict[str, object]:
    return {
        "pipelineArn": self._arn,
        "created": unix_time(self._created),
        "updated": unix_time(self._updated),
    }


def apply() -> None:
    # ListPipelines reads the same property, so both operations send numbers.
    _patch.replace(CodePipeline, "metadata", property(_metadata))
    log.debug("codepipeline: epoch timestamps in GetPipeline/ListPipelines")
