"""The target side of a rollout, one module per concern; every function takes its clients, none creates one.

- `target`: the clients into the target account (`Target`)
- `state`: reading the endpoint (`describe_*`, `live_state`, the status sets)
- `changes`: creating models, endpoint configs and the endpoint, updating it, tagging
- `waiting`: polling until the endpoint settles, progress lines, verifying the result
- `cleanup`: deleting old configs and models that nothing uses

Autoscaling around an update lives in `deployer.rollout.autoscaling`.
"""

from deployer.endpoint.changes import (
    create_endpoint,
    delete_endpoint,
    ensure_endpoint_config,
    ensure_model,
    tag_resource,
    update_endpoint,
)
from deployer.endpoint.cleanup import cleanup, remove_all
from deployer.endpoint.state import (
    BUSY,
    IN_SERVICE,
    SETTLED,
    LiveState,
    describe_endpoint,
    describe_endpoint_config,
    describe_model,
    live_state,
    missing_config_problem,
    package_of_model,
    version_of_package,
)
from deployer.endpoint.target import Target
from deployer.endpoint.waiting import progress_line, verify, wait_until_settled

__all__ = [
    "BUSY",
    "IN_SERVICE",
    "SETTLED",
    "LiveState",
    "Target",
    "cleanup",
    "create_endpoint",
    "delete_endpoint",
    "describe_endpoint",
    "describe_endpoint_config",
    "describe_model",
    "ensure_endpoint_config",
    "ensure_model",
    "live_state",
    "missing_config_problem",
    "package_of_model",
    "progress_line",
    "remove_all",
    "tag_resource",
    "update_endpoint",
    "verify",
    "version_of_package",
    "wait_until_settled",
]
