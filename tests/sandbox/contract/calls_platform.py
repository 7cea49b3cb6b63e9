"""The platform calls around hosting: scaling, alarms, the ledger, events, keys, artifacts, identity, logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sandbox.harness import TOOLING, Sandbox
from tests.sandbox.contract.calls_sagemaker import Unique, fails
from tests.sandbox.contract.recorder import Recorder


def autoscaling(box: Sandbox, rec: Recorder, endpoint: str) -> None:
    client = rec.attach(box.client("application-autoscaling", "dev"))
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{endpoint}/variant/Primary",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    client.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    client.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[target["ResourceId"]])
    policy = {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
    }
    kind = "TargetTrackingScaling"
    client.put_scaling_policy(
        **target, PolicyName="invocations", PolicyType=kind, TargetTrackingScalingPolicyConfiguration=policy
    )
    client.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=target["ResourceId"])
    client.delete_scaling_policy(**target, PolicyName="invocations")
    client.deregister_scalable_target(**target)
    fails(client.deregister_scalable_target, **target)


def cloudwatch(box: Sandbox, rec: Recorder, unique: Unique) -> None:
    client = rec.attach(box.client("cloudwatch", "dev"))
    name = unique("alarm")
    client.put_metric_alarm(
        AlarmName=name, MetricName="Invocation5XXErrors", Namespace="AWS/SageMaker", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
        Dimensions=[{"Name": "EndpointName", "Value": "x"}],
    )  # fmt: skip
    client.describe_alarms(AlarmNames=[name])
    client.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="contract")
    client.put_metric_data(Namespace="Contract", MetricData=[{"MetricName": "m", "Value": 1.0}])
    now = datetime.now(UTC)
    span = {"StartTime": now - timedelta(minutes=5), "EndTime": now + timedelta(minutes=5)}
    client.get_metric_statistics(
        Namespace="Contract", MetricName="m", Period=60, Statistics=["Sum"], ExtendedStatistics=["p99"], **span
    )
    metric = {"Namespace": "Contract", "MetricName": "m"}
    queries = [{"Id": "p", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "p99"}}]
    client.get_metric_data(MetricDataQueries=queries, **span)
    client.delete_alarms(AlarmNames=[name])
    fails(client.set_alarm_state, AlarmName=unique("nowhere"), StateValue="OK", StateReason="x")


def dynamodb(box: Sandbox, rec: Recorder, unique: Unique) -> None:
    """The ledger's calls: conditional puts, updates, transactions, queries, and their refusals."""
    client = rec.attach(box.client("dynamodb", "tooling"))
    table = unique("ledger")
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    types = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")]
    client.create_table(TableName=table, KeySchema=keys, AttributeDefinitions=types, BillingMode="PAY_PER_REQUEST")
    client.describe_table(TableName=table)
    item = {"pk": {"S": "dev"}, "sk": {"S": "lease"}, "n": {"N": "1"}}
    client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    fails(client.put_item, TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    client.get_item(TableName=table, Key={"pk": {"S": "dev"}, "sk": {"S": "lease"}}, ConsistentRead=True)
    client.get_item(TableName=table, Key={"pk": {"S": "dev"}, "sk": {"S": "none"}})
    client.update_item(
        TableName=table, Key={"pk": {"S": "dev"}, "sk": {"S": "lease"}}, UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW",
    )  # fmt: skip
    put = {"Put": {"TableName": table, "Item": {"pk": {"S": "dev"}, "sk": {"S": "mark"}}}}
    client.transact_write_items(TransactItems=[put])
    clash = {"Put": {**put["Put"], "ConditionExpression": "attribute_not_exists(pk)"}}
    fails(client.transact_write_items, TransactItems=[clash])
    client.query(TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "dev"}})
    client.delete_item(TableName=table, Key={"pk": {"S": "dev"}, "sk": {"S": "mark"}})
    fails(client.get_item, TableName=unique("nowhere"), Key={"pk": {"S": "x"}})


def events(box: Sandbox, rec: Recorder, unique: Unique) -> None:
    client = rec.attach(box.client("events", "tooling"))
    bus = unique("bus")
    client.create_event_bus(Name=bus)
    client.describe_event_bus(Name=bus)
    client.list_event_buses(NamePrefix="bus")
    rule = unique("rule")
    pattern = json.dumps({"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"]})
    client.put_rule(Name=rule, EventBusName=bus, EventPattern=pattern)
    client.describe_rule(Name=rule, EventBusName=bus)
    client.list_rules(EventBusName=bus)
    target = {"Id": "t", "Arn": f"arn:aws:events:us-east-1:{TOOLING}:event-bus/default"}
    client.put_targets(Rule=rule, EventBusName=bus, Targets=[target])
    client.list_targets_by_rule(Rule=rule, EventBusName=bus)
    client.put_events(Entries=[{"Source": "contract", "DetailType": "Test", "Detail": "{}", "EventBusName": bus}])
    client.remove_targets(Rule=rule, EventBusName=bus, Ids=["t"])
    client.delete_rule(Name=rule, EventBusName=bus)
    fails(client.describe_rule, Name=unique("nowhere"))
    client.delete_event_bus(Name=bus)
