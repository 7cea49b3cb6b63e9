"""The stage account side of a world: the deployer's roles, a SageMaker execution role, rollback alarms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.harness import ACCOUNTS, REGION, TOOLING, Sandbox
from sandbox.testing import create_execution_role
from tests.support.accounts import admin_client


def ensure_deployer_roles(sandbox: Sandbox, stage: str, account: str, deploy_role: str) -> None:
    """The roles a stage config names (registry role in tooling, deploy role in the target), as administrators:
    worlds prove the deployer's behaviour; the modules' least-privilege policies are proven by the apply and
    end-to-end tests."""
    sandbox.ensure_admin_role(TOOLING, f"churn-deployer-{stage}")
    sandbox.ensure_admin_role(account, deploy_role)


def alarm_arn(account: str, alarm: str) -> str:
    return f"arn:aws:cloudwatch:{REGION}:{account}:alarm:{alarm}"


def put_alarm(
    cloudwatch: Any,
    name: str,
    *,
    endpoint: str = "",
    metric: str = "Invocation5XXErrors",
    statistic: str = "Sum",
    threshold: float = 1,
    comparison: str = "GreaterThanOrEqualToThreshold",
) -> None:
    """A SageMaker alarm on one evaluation of a minute, on `endpoint`'s AllTraffic variant when one is named."""
    dimensions = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": "AllTraffic"}]
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName=metric,
        **({"Dimensions": dimensions} if endpoint else {}),
        Statistic=statistic,
        Period=60,
        EvaluationPeriods=1,
        Threshold=threshold,
        ComparisonOperator=comparison,
    )


def prepare_target(
    sandbox: Sandbox,
    account: str,
    *,
    execution_role: str,
    artifact_bucket: str,
    capture_bucket: str,
    endpoint: str,
    alarms: Iterable[str],
) -> None:
    """The execution role (reads the artifacts, describes the alarms, writes capture) and the alarms."""
    alarms, account_id = list(alarms), ACCOUNTS.get(account, account)
    create_execution_role(
        admin_client(sandbox, "iam", account),
        execution_role,
        artifact_bucket=artifact_bucket,
        alarm_arns=[alarm_arn(account_id, a) for a in alarms],
        capture_bucket=capture_bucket,
    )
    cloudwatch = admin_client(sandbox, "cloudwatch", account)
    for alarm in alarms:
        put_alarm(cloudwatch, alarm, endpoint=endpoint)
