"""Plan, preflight and roll out one stage; report its status.

- `decide`: the pure planning step (`Action`, `Situation`, `decide`)
- `resources`: the exact CreateModel / CreateEndpointConfig requests and the tags
- `plan`: `Plan` and `make_plan` (reads the registry and the endpoint, changes nothing)
- `preflight`: every reference checked before the first change
- `execute`: `Runner` carries out a plan; `RolloutResult`
- `autoscaling`: deregistered around an update, registered again once InService
- `stage`: `StageDeployer`, the facade over the above; `status`: `stage_status`
"""

from deployer.rollout.decide import Action, Situation, decide
from deployer.rollout.execute import RolloutResult, Runner
from deployer.rollout.plan import Plan, make_plan
from deployer.rollout.preflight import Preflight
from deployer.rollout.resources import endpoint_config_request, model_request, resource_tags
from deployer.rollout.stage import StageDeployer
from deployer.rollout.status import stage_status

__all__ = [
    "Action",
    "Plan",
    "Preflight",
    "RolloutResult",
    "Runner",
    "Situation",
    "StageDeployer",
    "decide",
    "endpoint_config_request",
    "make_plan",
    "model_request",
    "resource_tags",
    "stage_status",
]
