"""Waiting for the endpoint to settle, with progress lines, and verifying what it settled on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from deployer.endpoint.state import IN_SERVICE, SETTLED, describe_endpoint
from deployer.endpoint.target import Target
from deployer.errors import EndpointFailedError, RolledBackError, RolloutTimeoutError, TransientError

progress_log = logging.getLogger("deployer.progress")


def progress_line(desc: dict[str, Any], elapsed: float) -> str:
    """One plain line: status, elapsed seconds, deployment phase and per-variant counts."""
    parts = [f"endpoint {desc.get('EndpointName', '?')}: {desc.get('EndpointStatus', '?')}", f"elapsed={elapsed:.0f}s"]
    pending = desc.get("PendingDeploymentSummary") or {}
    if pending:
        parts.append(f"pending={pending.get('EndpointConfigName', '?')}")
        for variant in pending.get("ProductionVariants") or []:
            phases = ",".join(str(s.get("Status")) for s in variant.get("VariantStatus") or []) or "-"
            parts.append(
                f"{variant.get('VariantName', '?')}[phase={phases} "
                f"instances={variant.get('CurrentInstanceCount', '?')}/{variant.get('DesiredInstanceCount', '?')} "
                f"weight={variant.get('CurrentWeight', '?')}/{variant.get('DesiredWeight', '?')}]"
            )
    else:
        for variant in desc.get("ProductionVariants") or []:
            parts.append(
                f"{variant.get('VariantName', '?')}[instances="
                f"{variant.get('CurrentInstanceCount', '?')}/{variant.get('DesiredInstanceCount', '?')}]"
            )
    if desc.get("FailureReason"):
        parts.append(f"reason={desc['FailureReason']}")
    return " ".join(parts)


def wait_until_settled(
    target: Target,
    name: str,
    *,
    timeout: float,
    poll: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    heartbeat: float = 60.0,
    on_poll: Callable[[], None] | None = None,
    on_transient: Callable[[BaseException, str], None] | None = None,
) -> dict[str, Any]:
    """Poll DescribeEndpoint (one call per poll) until the endpoint settles; log a line on each change
    and at least every `heartbeat` seconds. `on_poll` runs before each sleep (lease renewal).

    A DescribeEndpoint that fails transiently after botocore's retries goes to `on_transient`, which returns
    to poll again (the lease is still ours) or raises; without it, the error ends the wait."""
    start = clock()
    last_line = ""
    last_logged = start
    while True:
        try:
            desc = describe_endpoint(target, name)
        except TransientError as exc:
            if on_transient is None or clock() - start > timeout:
                raise
            on_transient(exc, f"describing endpoint {name}")
            _between_polls(on_poll, sleep, poll)
            continue
        elapsed = clock() - start
        if desc is None:
            raise EndpointFailedError(f"endpoint {name} disappeared while waiting for it")
        comparable = progress_line(desc, 0.0)  # the line without the clock: log when it changes
        if comparable != last_line or clock() - last_logged >= heartbeat:
            progress_log.info(progress_line(desc, elapsed))
            last_line, last_logged = comparable, clock()
        if desc.get("EndpointStatus") in SETTLED:
            return desc
        if elapsed > timeout:
            raise RolloutTimeoutError(
                f"endpoint {name} still {desc.get('EndpointStatus')} after {elapsed:.0f}s (timeout {timeout:.0f}s); "
                "it was not reported as deployed"
            )
        _between_polls(on_poll, sleep, poll)


def _between_polls(on_poll: Callable[[], None] | None, sleep: Callable[[float], None], poll: float) -> None:
    if on_poll is not None:
        on_poll()
    sleep(poll)


def verify(desc: dict[str, Any], expected_config: str) -> None:
    """Success means InService on exactly the config just deployed; anything else is a failure."""
    name = desc.get("EndpointName", "?")
    status = desc.get("EndpointStatus")
    current = desc.get("EndpointConfigName", "")
    reason = str(desc.get("FailureReason") or "")
    if status == IN_SERVICE and current == expected_config:
        return
    if status == IN_SERVICE:
        if reason:
            raise RolledBackError(f"rolled back by SageMaker: {reason} (endpoint {name} serves {current})")
        raise RolledBackError(
            f"silently rolled back: endpoint {name} is InService on {current}, not {expected_config}, "
            "and SageMaker gave no FailureReason"
        )
    raise EndpointFailedError(f"endpoint {name} is {status}: {reason or 'SageMaker gave no FailureReason'}")
