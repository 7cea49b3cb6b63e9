"""CloudWatch (alarms `alarm:<name>`) and CloudWatch Logs (`log-group:<name>[:log-stream:<stream>]`)."""

from __future__ import annotations

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, Ctx, as_list, as_str, is_arn

# Metric APIs and account-wide reads have no resource-level permissions (SAR).
_CLOUDWATCH_STAR = frozenset(
    {
        "PutMetricData",
        "GetMetricData",
        "GetMetricStatistics",
        "GetMetricWidgetImage",
        "ListMetrics",
        "DescribeAlarmsForMetric",
        "ListDashboards",
        "DescribeAnomalyDetectors",
        "ListManagedInsightRules",
    }
)
_LOGS_STAR_PREFIXES = ("DescribeLogGroups", "DescribeDestinations", "DescribeQueries", "StartLiveTail", "GetQuery")


def _alarm(call: Call, name: str) -> str:
    return call.arn("cloudwatch", f"alarm:{name}")


def cloudwatch_rules(call: Call) -> list[Authorization]:
    op = call.operation
    if op in _CLOUDWATCH_STAR or op.startswith("ListMetric"):
        ctx: Ctx = {"cloudwatch:namespace": (call.param("Namespace"),)} if op == "PutMetricData" else {}
        return [call.star(context=ctx)]
    if call.param("ResourceARN"):
        return [call.auth(call.param("ResourceARN"))]
    names = [as_str(n) for n in as_list(call.params.get("AlarmNames"))]
    if names:
        return [call.auth(_alarm(call, n)) for n in names]
    if call.param("AlarmName"):
        arn = _alarm(call, call.param("AlarmName"))
        actions = [as_str(a) for a in as_list(call.params.get("AlarmActions"))]
        out = [call.auth(arn, context={"cloudwatch:alarmactions": tuple(actions)} if actions else {})]
        if op.startswith("Put") and call.tag_context:
            out.append(call.auth(arn, "TagResource"))  # tags on create need cloudwatch:TagResource
        return out
    if call.param("DashboardName"):
        return [call.auth(call.arn("cloudwatch", f"dashboard/{call.param('DashboardName')}", region=""))]
    if op in ("DescribeAlarms", "DescribeAlarmHistory"):
        return [call.auth(_alarm(call, "*"))]  # every alarm of the account
    return [call.unknown()]


def _group_name(call: Call) -> str:
    """A log group named by name, or by ARN in logGroupIdentifier (with or without the trailing ":*")."""
    value = call.param("logGroupName") or call.param("logGroupIdentifier")
    if is_arn(value):
        value = value.split(":log-group:", 1)[-1].removesuffix(":*")
    return value


def _group_arn(call: Call, group: str) -> str:
    return call.arn("logs", f"log-group:{group}")


def logs_rules(call: Call) -> list[Authorization]:
    op = call.operation
    if op.startswith(_LOGS_STAR_PREFIXES):
        return [call.star()]
    if call.param("resourceArn"):
        return [call.auth(call.param("resourceArn"))]
    group = _group_name(call)
    names = [as_str(n) for n in as_list(call.params.get("logGroupNames"))]
    if names and not group:
        return [call.auth(_group_arn(call, n)) for n in names]
    if not group:
        return [call.unknown()]
    stream = call.param("logStreamName")
    if stream:
        return [call.auth(call.arn("logs", f"log-group:{group}:log-stream:{stream}"))]
    out = [call.auth(_group_arn(call, group))]
    if op == "CreateLogGroup" and call.tag_context:
        out.append(call.auth(out[0].resource, "TagResource"))  # "CreateLogGroup with Tags" needs it
    return out
