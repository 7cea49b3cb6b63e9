"""Capture every raw response a client receives (botocore's before-parse hook) and check it on arrival."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from botocore.model import OperationModel

from tests.sandbox.contract.wire import check_response


@dataclass
class Recorder:
    """Per operation (`service:Operation`): responses seen and the mismatches found in them."""

    responses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mismatches: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def attach(self, client: Any) -> Any:
        protocol = client.meta.service_model.resolved_protocol
        service = client.meta.service_model.service_name

        def seen(operation_model: OperationModel, response_dict: dict[str, Any], **_: Any) -> None:
            body = response_dict.get("body")
            raw = body if isinstance(body, bytes) else None
            status, headers = response_dict["status_code"], dict(response_dict["headers"])
            problems = check_response(protocol, operation_model, status, headers, raw)
            key = f"{service}:{operation_model.name}"
            self.responses[key] += 1
            self.mismatches[key] += [f"[{status}] {p}" for p in problems]

        client.meta.events.register("before-parse", seen)
        return client

    def since(self, keys: set[str]) -> list[str]:
        """Mismatches of operations not in `keys` (those a test just drove)."""
        return [f"{k}: {m}" for k in self.responses if k not in keys for m in self.mismatches[k]]

    def table(self) -> str:
        rows = [f"{'operation':<58} {'responses':>9} {'mismatches':>10}"]
        for key in sorted(self.responses):
            rows.append(f"{key:<58} {self.responses[key]:>9} {len(self.mismatches[key]):>10}")
        total = sum(self.responses.values())
        bad = sum(len(m) for m in self.mismatches.values())
        rows.append(f"totals: {len(self.responses)} operations, {total} responses checked, {bad} mismatches")
        return "\n".join(rows)
