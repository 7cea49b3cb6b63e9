"""Fault scenario 22: a version Rejected while its rollout bakes is rolled back, never recorded as a success
(issue 13, item 5). The rejection comes from a hook on the deployer's own SageMaker client, the moment the
new fleet is seen baking: no polling thread, no sleeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deployer.errors import RolledBackError
from tests.conftest import REGION
from tests.deployer.conftest import World, cli, deploy_role, history, marks


def when_baking(action: Callable[[], None]) -> Callable[..., None]:
    done: list[bool] = []

    def hook(parsed: dict[str, Any], **_: Any) -> None:
        pending = parsed.get("PendingDeploymentSummary") or {}
        phases = [s.get("Status") for v in pending.get("ProductionVariants", []) for s in v.get("VariantStatus", [])]
        if "Baking" in phases and not done:
            done.append(True)
            action()

    return hook


def test_22_version_rejected_while_it_bakes_is_rolled_back_and_never_recorded_live(world: World) -> None:
    v1, arn1 = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    v2, arn2 = world.add_version()
    sessions = world.dev.sessions()
    sm = sessions.client("sagemaker", deploy_role("dev"), REGION)
    sm.meta.events.register(
        "after-call.sagemaker.DescribeEndpoint", when_baking(lambda: world.set_status(arn2, "Rejected"))
    )

    try:
        world.dev.run(sessions).deploy()
    except RolledBackError as exc:
        message = str(exc)
    else:
        raise AssertionError("the deploy of a version rejected mid-rollout succeeded")

    assert f"v{v2} was Rejected in the registry while its rollout ran" in message
    assert f"-v{v1}-" in world.describe()["EndpointConfigName"]  # v1 serves again
    entries = history(world, "dev")
    v2_outcomes = [e["result"] for e in entries if e["version"] == str(v2) and e["event"] == "deployment"]
    assert v2_outcomes == ["started", "rolled_back"]
    assert not any(e["version"] == str(v2) and e.get("result") == "succeeded" for e in entries)
    rollback = [e for e in entries if e["event"] == "rollback"][-1]
    assert rollback["version"] == str(v1) and f"v{v2} was Rejected" in rollback["reason"]
    assert "deployer:live:dev" not in world.metadata(arn2) and world.metadata(arn1)["deployer:live:dev"] == "true"
    assert v2 in marks(world, "dev", "rolled_back")
