"""What Terraform's `aws_sagemaker_endpoint` (hashicorp/aws 5.100.0) sees of an update SageMaker rolls back, call by
call, as AWS answers them (bench figure 9): UpdateEndpoint accepted; `Updating` until the rollback, never a status
outside the provider's waiter (pending `Creating`, `Updating`, `SystemUpdating`; target `InService`); then
`InService` on the old config with `FailureReason`; DeleteEndpointConfig and DeleteModel of what the endpoint
still runs on accepted (AWS documents that the endpoint keeps running); the endpoint still names the deleted
config and serves the old fleet."""

from __future__ import annotations

import time

import pytest

from sandbox.harness import TIME_SCALE
from tests.conftest import Sandbox
from tests.sandbox.test_hosting import Unique, canary, in_service_endpoint, new_config, sm

pytestmark = pytest.mark.usefixtures("execution_role")

WAITER_STATES = {"Creating", "Updating", "SystemUpdating", "InService"}


def test_rolled_back_update_then_its_old_config_and_model_deleted(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, old_config, old_model = in_service_endpoint(client, unique, env={"SANDBOX_MODEL_VERSION": "1"})
    target = new_config(client, unique, env={"SANDBOX_FAULT": "fail-create", "SANDBOX_MODEL_VERSION": "2"})
    client.update_endpoint(
        EndpointName=endpoint,
        EndpointConfigName=target,
        DeploymentConfig=canary({"Type": "INSTANCE_COUNT", "Value": 1}, wait=60),
    )
    seen = []
    deadline = time.monotonic() + 30
    while True:
        described = client.describe_endpoint(EndpointName=endpoint)
        seen.append(described["EndpointStatus"])
        if described["EndpointStatus"] != "Updating" or time.monotonic() > deadline:
            break
        time.sleep(5 * TIME_SCALE)
    assert set(seen) <= WAITER_STATES and seen[0] == "Updating" and seen[-1] == "InService"
    assert described["EndpointConfigName"] == old_config
    assert "did not pass the ping health check" in described["FailureReason"]

    # What `create_before_destroy` does next: both deletes are accepted while the endpoint runs on them.
    client.delete_endpoint_config(EndpointConfigName=old_config)
    client.delete_model(ModelName=old_model)
    after = client.describe_endpoint(EndpointName=endpoint)
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", old_config)
    with pytest.raises(client.exceptions.ClientError, match="Could not find endpoint configuration"):
        client.describe_endpoint_config(EndpointConfigName=old_config)
    runtime = sandbox.session("dev").client("sagemaker-runtime", endpoint_url=sandbox.url)
    answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"34,12,79.5,1,0")
    assert "model_version=1;" in answer["CustomAttributes"] and "fleet=blue" in answer["CustomAttributes"]
    assert answer["Body"].read()
