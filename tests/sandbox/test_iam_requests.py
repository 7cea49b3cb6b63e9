"""sandbox.iam.requests: what IAM authorizes for a raw HTTP request, from requests botocore really builds.

Each case makes the call with a botocore client pointed at http://127.0.0.1:1 whose `before-send` handler
captures the signed request and answers a dummy 200, so nothing leaves the process. The captured request
becomes an HttpRequest as the sandbox's middleware would see it, and the table checks the operation and
every Authorization (action, resource, resource account, the service context keys that matter).
The operations are the ones the deployer, scripts/, the buildspecs (aws s3 cp) and the Terraform modules call.
No sandbox server is started. Timing lives in the benchmark snippet of sandbox.iam.requests' docstring.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.serialize import create_serializer

from sandbox.iam.model import Authorization
from sandbox.iam.requests import HttpRequest, ParsedRequest, parse, preload
from sandbox.iam.services import RULES

REGION = "us-east-1"
DEV = "222222222222"  # the caller
TOOLING = "111111111111"  # the registry account
STAGING = "333333333333"
EXEC_ROLE = f"arn:aws:iam::{DEV}:role/churn-dev-sagemaker-execution"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/churn"
PACKAGE_ARN = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package/churn/3"
REGISTRY_KEY = f"arn:aws:kms:{REGION}:{TOOLING}:key/11111111-1111-1111-1111-111111111111"
DEV_KEY_ID = "22222222-2222-2222-2222-222222222222"
DEV_KEY = f"arn:aws:kms:{REGION}:{DEV}:key/{DEV_KEY_ID}"
ENDPOINT = f"arn:aws:sagemaker:{REGION}:{DEV}:endpoint/churn-dev"
SLR_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
SLR = (
    f"arn:aws:iam::{DEV}:role/aws-service-role/{SLR_SERVICE}/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
VIA_S3 = {"kms:viaservice": (f"s3.{REGION}.amazonaws.com",)}


class FakeResolver:
    """The sandbox state the cases assume: two buckets, one encrypted object, a ledger table, tagged endpoint."""

    def __init__(self, *, slr_exists: bool = False, hash_keys: Mapping[str, str] | None = None) -> None:
        self.buckets = {"churn-registry-artifacts": (TOOLING, REGISTRY_KEY), "churn-dev-data": (DEV, None)}
        self.objects = {("churn-registry-artifacts", "models/v3/model.tar.gz"): REGISTRY_KEY}
        self.aliases = {(DEV, "alias/churn-dev"): DEV_KEY, (DEV, DEV_KEY_ID): DEV_KEY}
        self.tags = {ENDPOINT: {"Stage": "dev"}}
        self.slr_exists = slr_exists
        self.hash_keys = dict(hash_keys) if hash_keys is not None else {"churn-ledger": "pk"}
        # SecureString parameters and their key ("" = the AWS managed aws/ssm key); a String has none.
        self.parameters = {"/churn/dev/deployer/config": DEV_KEY_ID, "/churn/dev/managed": ""}

    def bucket_account(self, bucket: str) -> str | None:
        found = self.buckets.get(bucket)
        return found[0] if found else None

    def bucket_kms_key(self, bucket: str) -> str | None:
        found = self.buckets.get(bucket)
        return found[1] if found else None

    def object_kms_key(self, bucket: str, key: str) -> str | None:
        return self.objects.get((bucket, key))

    def kms_key_arn(self, key_id: str, account: str, region: str) -> str | None:
        return self.aliases.get((account, key_id))

    def resource_tags(self, arn: str) -> Mapping[str, str]:
        return self.tags.get(arn, {})

    def service_linked_role_exists(self, account: str, role_name: str) -> bool:
        return self.slr_exists

    def model_package_arn(self, name_or_arn: str, account: str, region: str) -> str | None:
        return None

    def table_hash_key(self, account: str, region: str, table: str) -> str | None:
        return self.hash_keys.get(table.rsplit("/", 1)[-1])

    def ssm_parameter_kms_key(self, name: str, account: str, region: str) -> str | None:
        return self.parameters.get(name)


# ---------------------------------------------------------------------------------------------------------------------
# capturing what botocore sends


_session = botocore.session.Session()
_session.set_credentials("AKIDEXAMPLE", "secret")
_clients: dict[str, Any] = {}
_captured: list[AWSPreparedRequest] = []


def _capture(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
    _captured.append(request)
    return AWSResponse(request.url, 200, {}, None)


def _client(service: str) -> Any:
    if service not in _clients:
        client = _session.create_client(service, region_name=REGION, endpoint_url="http://127.0.0.1:1")
        client.meta.events.register("before-send", _capture)
        _clients[service] = client
    return _clients[service]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def to_http(prepared: AWSPreparedRequest, account: str = DEV) -> HttpRequest:
    """The captured request as the middleware sees it: signing name from the credential scope, raw path."""
    url = urlsplit(prepared.url)
    headers = {k.lower(): _text(v) for k, v in prepared.headers.items()}
    scope = headers["authorization"].split("Credential=", 1)[1].split(",", 1)[0].split("/")
    body = prepared.body
    if hasattr(body, "read"):
        body = body.read()
    raw = body if isinstance(body, bytes) else (body or "").encode()
    query = parse_qs(url.query, keep_blank_values=True)
    return HttpRequest(scope[3], scope[2], account, prepared.method, url.path, query, headers, raw)


def capture(service: str, method: str, params: Mapping[str, Any]) -> HttpRequest:
    _captured.clear()
    with contextlib.suppress(Exception):  # the dummy answer rarely parses; the request was captured before that
        getattr(_client(service), method)(**params)
    assert _captured, f"{service}.{method} sent nothing (parameter validation?)"
    return to_http(_captured[-1])


# ---------------------------------------------------------------------------------------------------------------------
# the table


@dataclass(frozen=True)
class E:
    """An expected Authorization; `ctx` lists the context keys to check (others may be present)."""

    action: str
    resource: str
    account: str = DEV
    ctx: Mapping[str, Sequence[str]] = field(default_factory=dict)


def case(service: str, method: str, params: Mapping[str, Any], *expect: E, exact: bool = True) -> Any:
    """One call of the table; the operation expected is botocore's own name for `method`."""
    return pytest.param(service, method, params, expect, exact, id=f"{service}.{method}")


def sm(resource: str, account: str = DEV) -> str:
    return f"arn:aws:sagemaker:{REGION}:{account}:{resource}"


def arn(service: str, resource: str, account: str = DEV) -> str:
    return f"arn:aws:{service}:{REGION}:{account}:{resource}"


TAG = [{"Key": "Project", "Value": "churn"}]
TAG_CTX = {"aws:requesttag/project": ("churn",), "aws:tagkeys": ("Project",)}
VARIANT = {"VariantName": "AllTraffic", "ModelName": "churn-dev-v3", "InstanceType": "ml.m5.large"}
TABLE = arn("dynamodb", "table/churn-ledger")
PK = {"pk": {"S": "STAGE#dev"}, "sk": {"S": "MARK#v3"}}
LEADING = {"dynamodb:leadingkeys": ("STAGE#dev",)}
ARTIFACT = "arn:aws:s3:::churn-registry-artifacts/models/v3/model.tar.gz"
CONTAINER = {"Image": "img", "ModelDataUrl": "s3://churn-registry-artifacts/models/v3/model.tar.gz"}

SAGEMAKER = [
    case(
        "sagemaker",
        "create_model",
        {"ModelName": "Churn-Dev-v3", "ExecutionRoleArn": EXEC_ROLE, "PrimaryContainer": CONTAINER, "Tags": TAG},
        E("sagemaker:CreateModel", sm("model/churn-dev-v3"), ctx=TAG_CTX),
        E("sagemaker:AddTags", sm("model/churn-dev-v3"), ctx={**TAG_CTX, "sagemaker:taggingaction": ("CreateModel",)}),
        E("iam:PassRole", EXEC_ROLE, ctx={"iam:passedtoservice": ("sagemaker.amazonaws.com",)}),
    ),
    case("sagemaker", "describe_model", {"ModelName": "m"}, E("sagemaker:DescribeModel", sm("model/m"))),
    case("sagemaker", "delete_model", {"ModelName": "m"}, E("sagemaker:DeleteModel", sm("model/m"))),
    case("sagemaker", "list_models", {}, E("sagemaker:ListModels", "*")),
    case(
        "sagemaker",
        "create_endpoint_config",
        {"EndpointConfigName": "churn-dev-c1", "ProductionVariants": [VARIANT], "KmsKeyId": DEV_KEY},
        E(
            "sagemaker:CreateEndpointConfig",
            sm("endpoint-config/churn-dev-c1"),
            ctx={
                "sagemaker:instancetypes": ("ml.m5.large",),
                "sagemaker:modelarn": (sm("model/churn-dev-v3"),),
                "sagemaker:volumekmskey": (DEV_KEY,),
            },
        ),
    ),
    case(
        "sagemaker",
        "describe_endpoint_config",
        {"EndpointConfigName": "c"},
        E("sagemaker:DescribeEndpointConfig", sm("endpoint-config/c")),
    ),
    case(
        "sagemaker",
        "delete_endpoint_config",
        {"EndpointConfigName": "c"},
        E("sagemaker:DeleteEndpointConfig", sm("endpoint-config/c")),
    ),
    case("sagemaker", "list_endpoint_configs", {}, E("sagemaker:ListEndpointConfigs", "*")),
    case(
        "sagemaker",
        "create_endpoint",
        {"EndpointName": "churn-dev", "EndpointConfigName": "churn-dev-c1", "Tags": TAG},
        E("sagemaker:CreateEndpoint", ENDPOINT, ctx={**TAG_CTX, "aws:resourcetag/stage": ("dev",)}),
        E("sagemaker:CreateEndpoint", sm("endpoint-config/churn-dev-c1")),
        E("sagemaker:AddTags", ENDPOINT, ctx={"sagemaker:taggingaction": ("CreateEndpoint",)}),
    ),
    case(
        "sagemaker",
        "update_endpoint",
        {"EndpointName": "churn-dev", "EndpointConfigName": "churn-dev-c2"},
        E("sagemaker:UpdateEndpoint", ENDPOINT),
        E("sagemaker:UpdateEndpoint", sm("endpoint-config/churn-dev-c2")),
    ),
    case(
        "sagemaker",
        "describe_endpoint",
        {"EndpointName": "churn-dev"},
        E(
            "sagemaker:DescribeEndpoint",
            ENDPOINT,
            ctx={"aws:resourcetag/stage": ("dev",), "sagemaker:resourcetag/stage": ("dev",)},
        ),
    ),
    case("sagemaker", "delete_endpoint", {"EndpointName": "e"}, E("sagemaker:DeleteEndpoint", sm("endpoint/e"))),
    case("sagemaker", "list_endpoints", {}, E("sagemaker:ListEndpoints", "*")),
    case(
        "sagemaker",
        "add_tags",
        {"ResourceArn": sm("endpoint-config/c"), "Tags": TAG},
        E("sagemaker:AddTags", sm("endpoint-config/c"), ctx=TAG_CTX),
    ),
    case(
        "sagemaker",
        "list_tags",
        {"ResourceArn": sm("endpoint-config/c")},
        E("sagemaker:ListTags", sm("endpoint-config/c")),
    ),
    case(
        "sagemaker",
        "describe_model_package",
        {"ModelPackageName": PACKAGE_ARN},
        E("sagemaker:DescribeModelPackage", PACKAGE_ARN, TOOLING),
    ),
    case(
        "sagemaker",
        "describe_model_package_group",
        {"ModelPackageGroupName": GROUP_ARN},
        E("sagemaker:DescribeModelPackageGroup", GROUP_ARN, TOOLING),
    ),
    case(
        "sagemaker",
        "list_model_packages",
        {"ModelPackageGroupName": GROUP_ARN, "ModelApprovalStatus": "Approved"},
        E("sagemaker:ListModelPackages", sm("model-package/churn/*", TOOLING), TOOLING),
    ),
    case(
        "sagemaker",
        "update_model_package",
        {
            "ModelPackageArn": PACKAGE_ARN,
            "CustomerMetadataProperties": {"deployer:verified:dev": "2024-01-01"},
            "CustomerMetadataPropertiesToRemove": ["deployer:failed:dev"],
        },
        E(
            "sagemaker:UpdateModelPackage",
            PACKAGE_ARN,
            TOOLING,
            ctx={
                "sagemaker:customermetadataproperties/deployer:verified:dev": ("2024-01-01",),
                "sagemaker:customermetadatapropertiestoremove": ("deployer:failed:dev",),
            },
        ),
    ),
    case(
        "sagemaker",
        "update_model_package",
        {"ModelPackageArn": PACKAGE_ARN, "ModelApprovalStatus": "Approved"},
        E("sagemaker:UpdateModelPackage", PACKAGE_ARN, TOOLING, ctx={"sagemaker:modelapprovalstatus": ("Approved",)}),
    ),
    case(
        "sagemaker",
        "create_model_package",
        {
            "ModelPackageGroupName": "churn",
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [CONTAINER],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        },
        E(
            "sagemaker:CreateModelPackage",
            sm("model-package/churn/*"),
            ctx={"sagemaker:modelapprovalstatus": ("PendingManualApproval",)},
        ),
    ),
    case(
        "sagemaker",
        "create_model_package_group",
        {"ModelPackageGroupName": "churn", "Tags": TAG},
        E("sagemaker:CreateModelPackageGroup", sm("model-package-group/churn"), ctx=TAG_CTX),
        E("sagemaker:AddTags", sm("model-package-group/churn"), ctx=TAG_CTX),
    ),
    case(
        "sagemaker",
        "put_model_package_group_policy",
        {"ModelPackageGroupName": "churn", "ResourcePolicy": "{}"},
        E("sagemaker:PutModelPackageGroupPolicy", sm("model-package-group/churn")),
    ),
    case(
        "sagemaker",
        "get_model_package_group_policy",
        {"ModelPackageGroupName": "churn"},
        E("sagemaker:GetModelPackageGroupPolicy", sm("model-package-group/churn")),
    ),
    case(
        "sagemaker",
        "delete_model_package_group",
        {"ModelPackageGroupName": "churn"},
        E("sagemaker:DeleteModelPackageGroup", sm("model-package-group/churn")),
    ),
    case(
        "sagemaker-runtime",
        "invoke_endpoint",
        {"EndpointName": "Churn-Dev", "Body": b"1,2,3", "ContentType": "text/csv"},
        E("sagemaker:InvokeEndpoint", ENDPOINT, ctx={"aws:resourcetag/stage": ("dev",)}),
    ),
    case(
        "sagemaker-runtime",
        "invoke_endpoint_async",
        {"EndpointName": "churn-dev", "InputLocation": "s3://b/k"},
        E("sagemaker:InvokeEndpointAsync", ENDPOINT),
    ),
]

DYNAMODB = [
    case(
        "dynamodb",
        "get_item",
        {"TableName": "churn-ledger", "Key": PK, "ConsistentRead": True},
        E("dynamodb:GetItem", TABLE, ctx=LEADING),
    ),
    case(
        "dynamodb",
        "put_item",
        {
            "TableName": "churn-ledger",
            "Item": {**PK, "owner": {"S": "b1"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        },
        E("dynamodb:PutItem", TABLE, ctx=LEADING),
    ),
    case(
        "dynamodb",
        "update_item",
        {
            "TableName": "churn-ledger",
            "Key": PK,
            "UpdateExpression": "SET #o = :o",
            "ExpressionAttributeNames": {"#o": "owner"},
            "ExpressionAttributeValues": {":o": {"S": "x"}},
        },
        E("dynamodb:UpdateItem", TABLE, ctx=LEADING),
    ),
    case(
        "dynamodb",
        "delete_item",
        {"TableName": "churn-ledger", "Key": PK},
        E("dynamodb:DeleteItem", TABLE, ctx=LEADING),
    ),
    case(
        "dynamodb",
        "query",
        {
            "TableName": "churn-ledger",
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": "STAGE#dev"}, ":prefix": {"S": "DEPLOY#"}},
        },
        E("dynamodb:Query", TABLE, ctx=LEADING),
    ),
    case(
        "dynamodb",
        "transact_write_items",
        {
            "TransactItems": [
                {"Put": {"TableName": "churn-ledger", "Item": {"pk": {"S": "STAGE#dev"}, "sk": {"S": "a"}}}},
                {
                    "Update": {
                        "TableName": "churn-ledger",
                        "Key": {"pk": {"S": "LOCK#e"}, "sk": {"S": "b"}},
                        "UpdateExpression": "SET x = :x",
                        "ExpressionAttributeValues": {":x": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": "churn-ledger",
                        "Key": {"pk": {"S": "P#1"}, "sk": {"S": "c"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {"Delete": {"TableName": "churn-ledger", "Key": {"pk": {"S": "P#2"}, "sk": {"S": "d"}}}},
            ]
        },
        E("dynamodb:PutItem", TABLE, ctx={**LEADING, "dynamodb:enclosingoperation": ("TransactWriteItems",)}),
        E("dynamodb:UpdateItem", TABLE, ctx={"dynamodb:leadingkeys": ("LOCK#e",)}),
        E("dynamodb:ConditionCheckItem", TABLE, ctx={"dynamodb:leadingkeys": ("P#1",)}),
        E("dynamodb:DeleteItem", TABLE, ctx={"dynamodb:leadingkeys": ("P#2",)}),
    ),
    case(
        "dynamodb",
        "transact_get_items",
        {"TransactItems": [{"Get": {"TableName": "churn-ledger", "Key": PK}}]},
        E("dynamodb:GetItem", TABLE, ctx=LEADING),
    ),
    case(
        "dynamodb",
        "batch_write_item",
        {
            "RequestItems": {
                "churn-ledger": [
                    {"PutRequest": {"Item": {"pk": {"S": "A"}, "sk": {"S": "1"}}}},
                    {"DeleteRequest": {"Key": {"pk": {"S": "B"}, "sk": {"S": "2"}}}},
                ]
            }
        },
        E("dynamodb:BatchWriteItem", TABLE, ctx={"dynamodb:leadingkeys": ("A",)}),
        E("dynamodb:BatchWriteItem", TABLE, ctx={"dynamodb:leadingkeys": ("B",)}),
    ),
    case(
        "dynamodb",
        "batch_get_item",
        {"RequestItems": {"churn-ledger": {"Keys": [PK, {"pk": {"N": "7"}, "sk": {"S": "x"}}]}}},
        E("dynamodb:BatchGetItem", TABLE, ctx=LEADING),
        E("dynamodb:BatchGetItem", TABLE, ctx={"dynamodb:leadingkeys": ("7",)}),
    ),
    case(
        "dynamodb",
        "get_item",
        {"TableName": arn("dynamodb", "table/churn-ledger", TOOLING), "Key": PK},
        E("dynamodb:GetItem", arn("dynamodb", "table/churn-ledger", TOOLING), TOOLING, ctx=LEADING),
    ),
    case(
        "dynamodb",
        "create_table",
        {
            "TableName": "churn-ledger",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "Tags": TAG,
        },
        E("dynamodb:CreateTable", TABLE, ctx=TAG_CTX),
        E("dynamodb:TagResource", TABLE, ctx=TAG_CTX),
    ),
    case("dynamodb", "describe_table", {"TableName": "churn-ledger"}, E("dynamodb:DescribeTable", TABLE)),
    case(
        "dynamodb",
        "describe_continuous_backups",
        {"TableName": "churn-ledger"},
        E("dynamodb:DescribeContinuousBackups", TABLE),
    ),
    case("dynamodb", "describe_time_to_live", {"TableName": "churn-ledger"}, E("dynamodb:DescribeTimeToLive", TABLE)),
    case("dynamodb", "list_tags_of_resource", {"ResourceArn": TABLE}, E("dynamodb:ListTagsOfResource", TABLE)),
    case("dynamodb", "delete_table", {"TableName": "churn-ledger"}, E("dynamodb:DeleteTable", TABLE)),
    case("dynamodb", "list_tables", {}, E("dynamodb:ListTables", "*")),
]

STAGING_BUS = arn("events", "event-bus/churn-staging", STAGING)
EVENTS = [
    case(
        "events",
        "put_events",
        {
            "Entries": [
                {
                    "Source": "mlops.deployer",
                    "DetailType": "Model Version Verified",
                    "Detail": "{}",
                    "EventBusName": STAGING_BUS,
                },
                {"Source": "mlops.other", "DetailType": "Other", "Detail": "{}"},
            ]
        },
        E(
            "events:PutEvents",
            STAGING_BUS,
            STAGING,
            ctx={"events:source": ("mlops.deployer",), "events:detail-type": ("Model Version Verified",)},
        ),
        E("events:PutEvents", arn("events", "event-bus/default"), ctx={"events:source": ("mlops.other",)}),
    ),
    case(
        "events",
        "create_event_bus",
        {"Name": "churn-dev"},
        E("events:CreateEventBus", arn("events", "event-bus/churn-dev")),
    ),
    case(
        "events",
        "describe_event_bus",
        {"Name": "churn-dev"},
        E("events:DescribeEventBus", arn("events", "event-bus/churn-dev")),
    ),
    case("events", "put_permission", {"EventBusName": "churn-dev", "Policy": "{}"}, E("events:PutPermission", "*")),
    case(
        "events",
        "put_rule",
        {"Name": "next-stage", "EventBusName": "churn-dev", "EventPattern": "{}", "Tags": TAG},
        E("events:PutRule", arn("events", "rule/churn-dev/next-stage"), ctx=TAG_CTX),
        E("events:TagResource", arn("events", "rule/churn-dev/next-stage"), ctx=TAG_CTX),
    ),
    case(
        "events",
        "put_targets",
        {"Rule": "forward", "Targets": [{"Id": "1", "Arn": STAGING_BUS, "RoleArn": f"arn:aws:iam::{DEV}:role/fwd"}]},
        E("events:PutTargets", arn("events", "rule/forward"), ctx={"events:targetarn": (STAGING_BUS,)}),
        E("iam:PassRole", f"arn:aws:iam::{DEV}:role/fwd", ctx={"iam:passedtoservice": ("events.amazonaws.com",)}),
    ),
    case(
        "events",
        "list_targets_by_rule",
        {"Rule": "r", "EventBusName": "churn-dev"},
        E("events:ListTargetsByRule", arn("events", "rule/churn-dev/r")),
    ),
    case("events", "describe_rule", {"Name": "r"}, E("events:DescribeRule", arn("events", "rule/r"))),
    case("events", "remove_targets", {"Rule": "r", "Ids": ["1"]}, E("events:RemoveTargets", arn("events", "rule/r"))),
    case("events", "delete_rule", {"Name": "r"}, E("events:DeleteRule", arn("events", "rule/r"))),
    case(
        "events",
        "list_tags_for_resource",
        {"ResourceARN": arn("events", "rule/r")},
        E("events:ListTagsForResource", arn("events", "rule/r")),
    ),
]

KMS = [
    case("kms", "describe_key", {"KeyId": REGISTRY_KEY}, E("kms:DescribeKey", REGISTRY_KEY, TOOLING)),
    case(
        "kms",
        "describe_key",
        {"KeyId": "alias/churn-dev"},
        E("kms:DescribeKey", DEV_KEY, ctx={"kms:requestalias": ("alias/churn-dev",)}),
    ),
    case(
        "kms",
        "create_key",
        {"Description": "d", "KeyUsage": "ENCRYPT_DECRYPT", "Tags": [{"TagKey": "Project", "TagValue": "churn"}]},
        E("kms:CreateKey", "*", ctx={**TAG_CTX, "kms:keyusage": ("ENCRYPT_DECRYPT",)}),
    ),
    case("kms", "get_key_policy", {"KeyId": DEV_KEY_ID, "PolicyName": "default"}, E("kms:GetKeyPolicy", DEV_KEY)),
    case("kms", "get_key_rotation_status", {"KeyId": DEV_KEY_ID}, E("kms:GetKeyRotationStatus", DEV_KEY)),
    case("kms", "enable_key_rotation", {"KeyId": DEV_KEY_ID}, E("kms:EnableKeyRotation", DEV_KEY)),
    case("kms", "list_resource_tags", {"KeyId": DEV_KEY_ID}, E("kms:ListResourceTags", DEV_KEY)),
    case(
        "kms",
        "put_key_policy",
        {"KeyId": DEV_KEY_ID, "PolicyName": "default", "Policy": "{}"},
        E("kms:PutKeyPolicy", DEV_KEY),
    ),
    case(
        "kms",
        "schedule_key_deletion",
        {"KeyId": DEV_KEY_ID, "PendingWindowInDays": 7},
        E("kms:ScheduleKeyDeletion", DEV_KEY),
    ),
    case(
        "kms",
        "create_alias",
        {"AliasName": "alias/churn-new", "TargetKeyId": DEV_KEY_ID},
        E("kms:CreateAlias", arn("kms", "alias/churn-new")),
        E("kms:CreateAlias", DEV_KEY),
    ),
    case(
        "kms",
        "delete_alias",
        {"AliasName": "alias/churn-dev"},
        E("kms:DeleteAlias", arn("kms", "alias/churn-dev")),
        E("kms:DeleteAlias", DEV_KEY),
    ),
    case("kms", "list_aliases", {}, E("kms:ListAliases", "*")),
    case(
        "kms",
        "create_grant",
        {"KeyId": DEV_KEY, "GranteePrincipal": EXEC_ROLE, "Operations": ["Decrypt"]},
        E(
            "kms:CreateGrant",
            DEV_KEY,
            ctx={"kms:grantisforawsresource": ("false",), "kms:grantoperations": ("Decrypt",)},
        ),
    ),
    case(
        "kms",
        "encrypt",
        {"KeyId": DEV_KEY, "Plaintext": b"x", "EncryptionContext": {"Purpose": "test"}},
        E(
            "kms:Encrypt",
            DEV_KEY,
            ctx={"kms:encryptioncontext:purpose": ("test",), "kms:encryptioncontextkeys": ("Purpose",)},
        ),
    ),
    case("kms", "decrypt", {"CiphertextBlob": DEV_KEY_ID.encode() + b"\0" * 40}, E("kms:Decrypt", DEV_KEY)),
    case(
        "kms",
        "generate_data_key",
        {"KeyId": REGISTRY_KEY, "KeySpec": "AES_256"},
        E("kms:GenerateDataKey", REGISTRY_KEY, TOOLING),
    ),
]

BUCKET = "arn:aws:s3:::churn-dev-data"
REG_BUCKET = "arn:aws:s3:::churn-registry-artifacts"
ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": DEV_KEY}}]}
LIFECYCLE = {"Rules": [{"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]}
OWNERSHIP = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def bucket_case(method: str, action: str, **params: Any) -> Any:
    """A bucket-level S3 call on churn-dev-data (owned by the caller): one check on the bucket."""
    return case("s3", method, {"Bucket": "churn-dev-data", **params}, E(action, BUCKET))


S3 = [
    case(
        "s3",
        "head_object",
        {"Bucket": "churn-registry-artifacts", "Key": "models/v3/model.tar.gz"},
        # A HEAD reads metadata only: no kms:Decrypt of the SSE-KMS object.
        E("s3:GetObject", ARTIFACT, TOOLING, ctx={"s3:resourceaccount": (TOOLING,)}),
    ),
    case(
        "s3",
        "get_object",
        {"Bucket": "churn-registry-artifacts", "Key": "models/v3/model.tar.gz"},
        E("s3:GetObject", ARTIFACT, TOOLING),
        E("kms:Decrypt", REGISTRY_KEY, TOOLING, ctx=VIA_S3),
    ),
    case(
        "s3",
        "get_object",
        {"Bucket": "churn-dev-data", "Key": "a b/c.txt", "VersionId": "v1"},
        E("s3:GetObjectVersion", f"{BUCKET}/a b/c.txt", ctx={"s3:versionid": ("v1",)}),
    ),
    case(
        "s3",
        "put_object",
        {"Bucket": "churn-dev-data", "Key": "deployer/x.whl", "Body": b"x", "ACL": "private"},
        E("s3:PutObject", f"{BUCKET}/deployer/x.whl", ctx={"s3:x-amz-acl": ("private",)}),
    ),
    case(
        "s3",
        "put_object",
        {"Bucket": "churn-registry-artifacts", "Key": "models/v4/model.tar.gz", "Body": b"x"},
        E("s3:PutObject", f"{REG_BUCKET}/models/v4/model.tar.gz", TOOLING),
        E("kms:GenerateDataKey", REGISTRY_KEY, TOOLING, ctx=VIA_S3),
    ),
    case(
        "s3",
        "put_object",
        {
            "Bucket": "churn-dev-data",
            "Key": "k",
            "Body": b"x",
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": "alias/churn-dev",
        },
        E(
            "s3:PutObject",
            f"{BUCKET}/k",
            ctx={
                "s3:x-amz-server-side-encryption": ("aws:kms",),
                "s3:x-amz-server-side-encryption-aws-kms-key-id": ("alias/churn-dev",),
            },
        ),
        E("kms:GenerateDataKey", DEV_KEY, ctx=VIA_S3),
    ),
    case(
        "s3",
        "copy_object",
        {
            "Bucket": "churn-dev-data",
            "Key": "copy",
            "CopySource": {"Bucket": "churn-registry-artifacts", "Key": "models/v3/model.tar.gz"},
        },
        E("s3:PutObject", f"{BUCKET}/copy"),
        E("s3:GetObject", ARTIFACT, TOOLING),
        E("kms:Decrypt", REGISTRY_KEY, TOOLING, ctx=VIA_S3),
    ),
    case(
        "s3",
        "create_multipart_upload",
        {"Bucket": "churn-registry-artifacts", "Key": "big"},
        E("s3:PutObject", f"{REG_BUCKET}/big", TOOLING),
        E("kms:GenerateDataKey", REGISTRY_KEY, TOOLING, ctx=VIA_S3),
    ),
    case(
        "s3",
        "upload_part",
        {"Bucket": "churn-dev-data", "Key": "big", "UploadId": "u", "PartNumber": 1, "Body": b"x"},
        E("s3:PutObject", f"{BUCKET}/big"),
    ),
    case(
        "s3",
        "complete_multipart_upload",
        {
            "Bucket": "churn-dev-data",
            "Key": "big",
            "UploadId": "u",
            "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": "e"}]},
        },
        E("s3:PutObject", f"{BUCKET}/big"),
    ),
    case(
        "s3",
        "abort_multipart_upload",
        {"Bucket": "churn-dev-data", "Key": "big", "UploadId": "u"},
        E("s3:AbortMultipartUpload", f"{BUCKET}/big"),
    ),
    case(
        "s3",
        "list_objects_v2",
        {"Bucket": "churn-dev-data", "Prefix": "deployer/", "Delimiter": "/"},
        E("s3:ListBucket", BUCKET, ctx={"s3:prefix": ("deployer/",), "s3:delimiter": ("/",)}),
    ),
    case("s3", "list_objects", {"Bucket": "churn-dev-data"}, E("s3:ListBucket", BUCKET)),
    bucket_case("list_object_versions", "s3:ListBucketVersions"),
    bucket_case("head_bucket", "s3:ListBucket"),
    case("s3", "list_buckets", {}, E("s3:ListAllMyBuckets", "*")),
    case(
        "s3",
        "create_bucket",
        {"Bucket": "churn-new", "ObjectOwnership": "BucketOwnerEnforced"},
        E(
            "s3:CreateBucket",
            "arn:aws:s3:::churn-new",
            ctx={"s3:x-amz-object-ownership": ("BucketOwnerEnforced",), "s3:locationconstraint": ("us-east-1",)},
        ),
    ),
    bucket_case("delete_bucket", "s3:DeleteBucket"),
    bucket_case("get_bucket_policy", "s3:GetBucketPolicy"),
    bucket_case("put_bucket_policy", "s3:PutBucketPolicy", Policy="{}"),
    bucket_case("delete_bucket_policy", "s3:DeleteBucketPolicy"),
    bucket_case("put_bucket_versioning", "s3:PutBucketVersioning", VersioningConfiguration={"Status": "Enabled"}),
    bucket_case("get_bucket_versioning", "s3:GetBucketVersioning"),
    bucket_case("put_bucket_encryption", "s3:PutEncryptionConfiguration", ServerSideEncryptionConfiguration=ENCRYPTION),
    bucket_case("get_bucket_encryption", "s3:GetEncryptionConfiguration"),
    bucket_case("delete_bucket_encryption", "s3:PutEncryptionConfiguration"),
    bucket_case("put_public_access_block", "s3:PutBucketPublicAccessBlock", PublicAccessBlockConfiguration=BLOCK),
    bucket_case("get_public_access_block", "s3:GetBucketPublicAccessBlock"),
    bucket_case("put_bucket_ownership_controls", "s3:PutBucketOwnershipControls", OwnershipControls=OWNERSHIP),
    bucket_case("get_bucket_ownership_controls", "s3:GetBucketOwnershipControls"),
    bucket_case("put_bucket_lifecycle_configuration", "s3:PutLifecycleConfiguration", LifecycleConfiguration=LIFECYCLE),
    bucket_case("get_bucket_lifecycle_configuration", "s3:GetLifecycleConfiguration"),
    bucket_case("get_bucket_acl", "s3:GetBucketAcl"),
    bucket_case("get_bucket_cors", "s3:GetBucketCORS"),
    bucket_case("get_bucket_website", "s3:GetBucketWebsite"),
    bucket_case("get_bucket_accelerate_configuration", "s3:GetAccelerateConfiguration"),
    bucket_case("get_bucket_request_payment", "s3:GetBucketRequestPayment"),
    bucket_case("get_bucket_logging", "s3:GetBucketLogging"),
    bucket_case("get_bucket_replication", "s3:GetReplicationConfiguration"),
    bucket_case("get_object_lock_configuration", "s3:GetBucketObjectLockConfiguration"),
    bucket_case("get_bucket_tagging", "s3:GetBucketTagging"),
    bucket_case("put_bucket_tagging", "s3:PutBucketTagging", Tagging={"TagSet": TAG}),
    bucket_case("get_bucket_location", "s3:GetBucketLocation"),
    case("s3", "delete_object", {"Bucket": "churn-dev-data", "Key": "k"}, E("s3:DeleteObject", f"{BUCKET}/k")),
    case(
        "s3",
        "delete_object",
        {"Bucket": "churn-dev-data", "Key": "k", "VersionId": "v9"},
        E("s3:DeleteObjectVersion", f"{BUCKET}/k"),
    ),
    case(
        "s3",
        "delete_objects",
        {"Bucket": "churn-dev-data", "Delete": {"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v2"}]}},
        E("s3:DeleteObject", f"{BUCKET}/a"),
        E("s3:DeleteObjectVersion", f"{BUCKET}/b"),
    ),
    case("s3", "get_object_tagging", {"Bucket": "churn-dev-data", "Key": "k"}, E("s3:GetObjectTagging", f"{BUCKET}/k")),
    case(
        "s3",
        "put_object_tagging",
        {"Bucket": "churn-dev-data", "Key": "k", "Tagging": {"TagSet": TAG}},
        E("s3:PutObjectTagging", f"{BUCKET}/k"),
    ),
]

REGISTRY_ROLE = f"arn:aws:iam::{TOOLING}:role/churn-dev-deployer"
IDENTITY = [
    case(
        "sts",
        "assume_role",
        {"RoleArn": REGISTRY_ROLE, "RoleSessionName": "deployer-dev", "ExternalId": "x-1"},
        E(
            "sts:AssumeRole",
            REGISTRY_ROLE,
            TOOLING,
            ctx={"sts:rolesessionname": ("deployer-dev",), "sts:externalid": ("x-1",)},
        ),
    ),
    case(
        "sts",
        "assume_role",
        {"RoleArn": REGISTRY_ROLE, "RoleSessionName": "s1", "Tags": TAG},
        E("sts:AssumeRole", REGISTRY_ROLE, TOOLING),
        E("sts:TagSession", REGISTRY_ROLE, TOOLING, ctx=TAG_CTX),
    ),
    case("sts", "get_caller_identity", {}),
    case("iam", "get_role", {"RoleName": "churn-dev-sagemaker-execution"}, E("iam:GetRole", EXEC_ROLE)),
    case(
        "iam",
        "create_role",
        {"RoleName": "churn-dev-codebuild", "AssumeRolePolicyDocument": "{}", "Tags": TAG},
        E("iam:CreateRole", f"arn:aws:iam::{DEV}:role/churn-dev-codebuild", ctx=TAG_CTX),
        E("iam:TagRole", f"arn:aws:iam::{DEV}:role/churn-dev-codebuild", ctx=TAG_CTX),
    ),
    case(
        "iam",
        "create_role",
        {"RoleName": "r", "Path": "/ci/", "AssumeRolePolicyDocument": "{}"},
        E("iam:CreateRole", f"arn:aws:iam::{DEV}:role/ci/r"),
    ),
    case(
        "iam",
        "put_role_policy",
        {"RoleName": "r", "PolicyName": "p", "PolicyDocument": "{}"},
        E("iam:PutRolePolicy", f"arn:aws:iam::{DEV}:role/r"),
    ),
    case(
        "iam",
        "get_role_policy",
        {"RoleName": "r", "PolicyName": "p"},
        E("iam:GetRolePolicy", f"arn:aws:iam::{DEV}:role/r"),
    ),
    case("iam", "list_role_policies", {"RoleName": "r"}, E("iam:ListRolePolicies", f"arn:aws:iam::{DEV}:role/r")),
    case(
        "iam",
        "list_attached_role_policies",
        {"RoleName": "r"},
        E("iam:ListAttachedRolePolicies", f"arn:aws:iam::{DEV}:role/r"),
    ),
    case(
        "iam",
        "attach_role_policy",
        {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        E(
            "iam:AttachRolePolicy",
            f"arn:aws:iam::{DEV}:role/r",
            ctx={"iam:policyarn": ("arn:aws:iam::aws:policy/ReadOnlyAccess",)},
        ),
    ),
    case(
        "iam",
        "list_instance_profiles_for_role",
        {"RoleName": "r"},
        E("iam:ListInstanceProfilesForRole", f"arn:aws:iam::{DEV}:role/r"),
    ),
    case("iam", "delete_role", {"RoleName": "r"}, E("iam:DeleteRole", f"arn:aws:iam::{DEV}:role/r")),
    case(
        "iam",
        "get_policy",
        {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        E("iam:GetPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ),
    case(
        "iam",
        "create_service_linked_role",
        {"AWSServiceName": SLR_SERVICE},
        E("iam:CreateServiceLinkedRole", SLR, ctx={"iam:awsservicename": (SLR_SERVICE,)}),
    ),
    case("iam", "list_roles", {}, E("iam:ListRoles", "*")),
]

REPO = arn("codecommit", "churn-dev")
PROJECT = arn("codebuild", "project/churn-dev-deploy")
PIPELINE = arn("codepipeline", "churn-dev")
PIPELINE_ROLE = f"arn:aws:iam::{DEV}:role/churn-dev-pipeline"
PIPELINE_SPEC = {
    "name": "churn-dev",
    "roleArn": PIPELINE_ROLE,
    "artifactStore": {"type": "S3", "location": "churn-dev-artifacts"},
    "stages": [],
}
DEVTOOLS = [
    case(
        "codecommit",
        "get_branch",
        {"repositoryName": "churn-dev", "branchName": "main"},
        E("codecommit:GetBranch", REPO),
    ),
    case(
        "codecommit",
        "get_file",
        {"repositoryName": "churn-dev", "filePath": "config/dev.json", "commitSpecifier": "main"},
        E("codecommit:GetFile", REPO),
    ),
    case(
        "codecommit", "get_folder", {"repositoryName": "churn-dev", "folderPath": "/"}, E("codecommit:GetFolder", REPO)
    ),
    case("codecommit", "get_repository", {"repositoryName": "churn-dev"}, E("codecommit:GetRepository", REPO)),
    case(
        "codecommit",
        "create_commit",
        {"repositoryName": "churn-dev", "branchName": "main", "putFiles": [{"filePath": "a", "fileContent": b"x"}]},
        E("codecommit:CreateCommit", REPO, ctx={"codecommit:references": ("refs/heads/main",)}),
    ),
    case(
        "codecommit",
        "create_branch",
        {"repositoryName": "churn-dev", "branchName": "main", "commitId": "c1"},
        E("codecommit:CreateBranch", REPO, ctx={"codecommit:references": ("refs/heads/main",)}),
    ),
    case("codecommit", "create_repository", {"repositoryName": "churn-dev"}, E("codecommit:CreateRepository", REPO)),
    case("codecommit", "list_tags_for_resource", {"resourceArn": REPO}, E("codecommit:ListTagsForResource", REPO)),
    case("codecommit", "list_repositories", {}, E("codecommit:ListRepositories", "*")),
    case(
        "codebuild",
        "batch_get_projects",
        {"names": ["churn-dev-deploy", arn("codebuild", "project/churn-dev-test")]},
        E("codebuild:BatchGetProjects", PROJECT),
        E("codebuild:BatchGetProjects", arn("codebuild", "project/churn-dev-test")),
    ),
    case(
        "codebuild",
        "create_project",
        {
            "name": "churn-dev-deploy",
            "source": {"type": "CODEPIPELINE"},
            "artifacts": {"type": "CODEPIPELINE"},
            "environment": {"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"},
            "serviceRole": f"arn:aws:iam::{DEV}:role/churn-dev-codebuild",
        },
        E("codebuild:CreateProject", PROJECT),
        E(
            "iam:PassRole",
            f"arn:aws:iam::{DEV}:role/churn-dev-codebuild",
            ctx={"iam:passedtoservice": ("codebuild.amazonaws.com",)},
        ),
    ),
    case("codebuild", "delete_project", {"name": "churn-dev-deploy"}, E("codebuild:DeleteProject", PROJECT)),
    case("codebuild", "start_build", {"projectName": "churn-dev-deploy"}, E("codebuild:StartBuild", PROJECT)),
    case("codebuild", "batch_get_builds", {"ids": ["churn-dev-deploy:1234"]}, E("codebuild:BatchGetBuilds", PROJECT)),
    case("codebuild", "list_projects", {}, E("codebuild:ListProjects", "*")),
    case("codepipeline", "get_pipeline_state", {"name": "churn-dev"}, E("codepipeline:GetPipelineState", PIPELINE)),
    case(
        "codepipeline",
        "put_approval_result",
        {
            "pipelineName": "churn-dev",
            "stageName": "Approve",
            "actionName": "Gate",
            "result": {"summary": "ok", "status": "Approved"},
            "token": "t",
        },
        E("codepipeline:PutApprovalResult", f"{PIPELINE}/Approve/Gate"),
    ),
    case(
        "codepipeline",
        "list_pipeline_executions",
        {"pipelineName": "churn-dev"},
        E("codepipeline:ListPipelineExecutions", PIPELINE),
    ),
    case(
        "codepipeline",
        "create_pipeline",
        {"pipeline": PIPELINE_SPEC},
        E("codepipeline:CreatePipeline", PIPELINE),
        E("iam:PassRole", PIPELINE_ROLE, ctx={"iam:passedtoservice": ("codepipeline.amazonaws.com",)}),
    ),
    case("codepipeline", "get_pipeline", {"name": "churn-dev"}, E("codepipeline:GetPipeline", PIPELINE)),
    case(
        "codepipeline",
        "start_pipeline_execution",
        {"name": "churn-dev"},
        E("codepipeline:StartPipelineExecution", PIPELINE),
    ),
    case(
        "codepipeline",
        "list_tags_for_resource",
        {"resourceArn": PIPELINE},
        E("codepipeline:ListTagsForResource", PIPELINE),
    ),
    case("codepipeline", "list_pipelines", {}, E("codepipeline:ListPipelines", "*")),
    case("ecr", "get_authorization_token", {}, E("ecr:GetAuthorizationToken", "*")),
    case(
        "ecr",
        "batch_get_image",
        {"registryId": TOOLING, "repositoryName": "churn", "imageIds": [{"imageTag": "v3"}]},
        E("ecr:BatchGetImage", arn("ecr", "repository/churn", TOOLING), TOOLING),
    ),
    case(
        "ecr",
        "get_download_url_for_layer",
        {"repositoryName": "churn", "layerDigest": "sha256:x"},
        E("ecr:GetDownloadUrlForLayer", arn("ecr", "repository/churn")),
    ),
    case(
        "ecr",
        "batch_check_layer_availability",
        {"repositoryName": "churn", "layerDigests": ["sha256:x"]},
        E("ecr:BatchCheckLayerAvailability", arn("ecr", "repository/churn")),
    ),
    case("ecr", "describe_repositories", {}, E("ecr:DescribeRepositories", arn("ecr", "repository/*"))),
]

ALARM = arn("cloudwatch", "alarm:churn-dev-errors")
LOG_GROUP = arn("logs", "log-group:/aws/codebuild/churn-dev")
SCALING = {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/churn-dev/variant/AllTraffic"}
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALING_CTX = {
    "application-autoscaling:service-namespace": ("sagemaker",),
    "application-autoscaling:scalable-dimension": (DIMENSION,),
}
TOPIC = arn("sns", "churn-dev-alarms")
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{STAGING}/churn-events"
OPERATIONS = [
    case(
        "cloudwatch",
        "describe_alarms",
        {"AlarmNames": ["churn-dev-errors", "churn-dev-latency"]},
        E("cloudwatch:DescribeAlarms", ALARM),
        E("cloudwatch:DescribeAlarms", arn("cloudwatch", "alarm:churn-dev-latency")),
    ),
    case("cloudwatch", "describe_alarms", {}, E("cloudwatch:DescribeAlarms", arn("cloudwatch", "alarm:*"))),
    case(
        "cloudwatch",
        "put_metric_alarm",
        {
            "AlarmName": "churn-dev-errors",
            "MetricName": "Invocation5XXErrors",
            "Namespace": "AWS/SageMaker",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "AlarmActions": [TOPIC],
            "Tags": TAG,
        },
        E("cloudwatch:PutMetricAlarm", ALARM, ctx={**TAG_CTX, "cloudwatch:alarmactions": (TOPIC,)}),
        E("cloudwatch:TagResource", ALARM, ctx=TAG_CTX),
    ),
    case("cloudwatch", "delete_alarms", {"AlarmNames": ["churn-dev-errors"]}, E("cloudwatch:DeleteAlarms", ALARM)),
    case("cloudwatch", "list_tags_for_resource", {"ResourceARN": ALARM}, E("cloudwatch:ListTagsForResource", ALARM)),
    case(
        "cloudwatch",
        "put_metric_data",
        {"Namespace": "Churn/Deployer", "MetricData": [{"MetricName": "m", "Value": 1.0}]},
        E("cloudwatch:PutMetricData", "*", ctx={"cloudwatch:namespace": ("Churn/Deployer",)}),
    ),
    case(
        "application-autoscaling",
        "describe_scalable_targets",
        {"ServiceNamespace": "sagemaker", "ResourceIds": [SCALING["ResourceId"]]},
        E("application-autoscaling:DescribeScalableTargets", "*"),
    ),
    case(
        "application-autoscaling",
        "register_scalable_target",
        {**SCALING, "ScalableDimension": DIMENSION, "MinCapacity": 1, "MaxCapacity": 4},
        E("application-autoscaling:RegisterScalableTarget", "*", ctx=SCALING_CTX),
        E("sagemaker:DescribeEndpoint", ENDPOINT),
        E("sagemaker:UpdateEndpointWeightsAndCapacities", ENDPOINT),
        E("iam:CreateServiceLinkedRole", SLR, ctx={"iam:awsservicename": (SLR_SERVICE,)}),
    ),
    case(
        "application-autoscaling",
        "deregister_scalable_target",
        {**SCALING, "ScalableDimension": DIMENSION},
        E("application-autoscaling:DeregisterScalableTarget", "*", ctx=SCALING_CTX),
    ),
    case(
        "application-autoscaling",
        "put_scaling_policy",
        {
            **SCALING,
            "ScalableDimension": DIMENSION,
            "PolicyName": "p",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70.0},
        },
        E("application-autoscaling:PutScalingPolicy", "*", ctx=SCALING_CTX),
    ),
    case(
        "logs",
        "create_log_group",
        {"logGroupName": "/aws/codebuild/churn-dev", "tags": {"Project": "churn"}},
        E("logs:CreateLogGroup", LOG_GROUP, ctx=TAG_CTX),
        E("logs:TagResource", LOG_GROUP, ctx=TAG_CTX),
    ),
    case(
        "logs",
        "put_retention_policy",
        {"logGroupName": "/aws/codebuild/churn-dev", "retentionInDays": 30},
        E("logs:PutRetentionPolicy", LOG_GROUP),
    ),
    case("logs", "describe_log_groups", {"logGroupNamePrefix": "/aws"}, E("logs:DescribeLogGroups", "*")),
    case(
        "logs",
        "create_log_stream",
        {"logGroupName": "/aws/codebuild/churn-dev", "logStreamName": "b1"},
        E("logs:CreateLogStream", f"{LOG_GROUP}:log-stream:b1"),
    ),
    case(
        "logs",
        "put_log_events",
        {
            "logGroupName": "/aws/codebuild/churn-dev",
            "logStreamName": "b1",
            "logEvents": [{"timestamp": 1, "message": "m"}],
        },
        E("logs:PutLogEvents", f"{LOG_GROUP}:log-stream:b1"),
    ),
    case("logs", "delete_log_group", {"logGroupName": "/aws/codebuild/churn-dev"}, E("logs:DeleteLogGroup", LOG_GROUP)),
    case("logs", "list_tags_for_resource", {"resourceArn": LOG_GROUP}, E("logs:ListTagsForResource", LOG_GROUP)),
    case(
        "sns",
        "create_topic",
        {"Name": "churn-dev-alarms", "Tags": TAG},
        E("sns:CreateTopic", TOPIC, ctx=TAG_CTX),
        E("sns:TagResource", TOPIC, ctx=TAG_CTX),
    ),
    case("sns", "get_topic_attributes", {"TopicArn": TOPIC}, E("sns:GetTopicAttributes", TOPIC)),
    case(
        "sns",
        "set_topic_attributes",
        {"TopicArn": TOPIC, "AttributeName": "Policy", "AttributeValue": "{}"},
        E("sns:SetTopicAttributes", TOPIC),
    ),
    case(
        "sns",
        "subscribe",
        {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": "ops@example.com"},
        E("sns:Subscribe", TOPIC, ctx={"sns:protocol": ("email",), "sns:endpoint": ("ops@example.com",)}),
    ),
    case("sns", "publish", {"TopicArn": TOPIC, "Message": "m"}, E("sns:Publish", TOPIC)),
    case("sns", "list_tags_for_resource", {"ResourceArn": TOPIC}, E("sns:ListTagsForResource", TOPIC)),
    case("sns", "delete_topic", {"TopicArn": TOPIC}, E("sns:DeleteTopic", TOPIC)),
    case("sns", "unsubscribe", {"SubscriptionArn": f"{TOPIC}:abc"}, E("sns:Unsubscribe", "*")),
    case(
        "sqs",
        "send_message",
        {"QueueUrl": QUEUE_URL, "MessageBody": "m"},
        E("sqs:SendMessage", arn("sqs", "churn-events", STAGING), STAGING),
    ),
    case(
        "sqs",
        "send_message_batch",
        {"QueueUrl": QUEUE_URL, "Entries": [{"Id": "1", "MessageBody": "m"}]},
        E("sqs:SendMessage", arn("sqs", "churn-events", STAGING), STAGING),
    ),
    case(
        "sqs",
        "create_queue",
        {"QueueName": "churn-events", "tags": {"Project": "churn"}},
        E("sqs:CreateQueue", arn("sqs", "churn-events"), ctx=TAG_CTX),
        E("sqs:TagQueue", arn("sqs", "churn-events"), ctx=TAG_CTX),
    ),
    case(
        "sqs",
        "get_queue_url",
        {"QueueName": "churn-events", "QueueOwnerAWSAccountId": STAGING},
        E("sqs:GetQueueUrl", arn("sqs", "churn-events", STAGING), STAGING),
    ),
    case(
        "sqs",
        "get_queue_attributes",
        {"QueueUrl": QUEUE_URL, "AttributeNames": ["All"]},
        E("sqs:GetQueueAttributes", arn("sqs", "churn-events", STAGING), STAGING),
    ),
    case("sqs", "list_queues", {}, E("sqs:ListQueues", "*")),
]

PARAMETER = arn("ssm", "parameter/churn/dev/deployer/config")
VIA_SSM = {
    "kms:viaservice": (f"ssm.{REGION}.amazonaws.com",),
    "kms:encryptioncontext:parameter_arn": (PARAMETER,),
}
SSM = [
    case(
        "ssm",
        "get_parameter",
        {"Name": "/churn/dev/deployer/config", "WithDecryption": True},
        E("ssm:GetParameter", PARAMETER),
        E("kms:Decrypt", DEV_KEY, ctx=VIA_SSM),
    ),
    case(
        "ssm",
        "get_parameters",
        {"Names": ["/churn/dev/managed", "plain"], "WithDecryption": True},
        E("ssm:GetParameters", arn("ssm", "parameter/churn/dev/managed")),
        E("ssm:GetParameters", arn("ssm", "parameter/plain")),
    ),
    case(
        "ssm",
        "put_parameter",
        {"Name": "/churn/dev/deployer/config", "Type": "SecureString", "KeyId": DEV_KEY, "Value": "{}", "Tags": TAG},
        E("ssm:PutParameter", PARAMETER, ctx=TAG_CTX),
        E("ssm:AddTagsToResource", PARAMETER, ctx=TAG_CTX),
        E("kms:Encrypt", DEV_KEY, ctx=VIA_SSM),
    ),
    case("ssm", "describe_parameters", {}, E("ssm:DescribeParameters", "*")),
    case(
        "ssm",
        "list_tags_for_resource",
        {"ResourceType": "Parameter", "ResourceId": "/churn/dev/deployer/config"},
        E("ssm:ListTagsForResource", PARAMETER),
    ),
    case("ssm", "delete_parameter", {"Name": "/churn/dev/deployer/config"}, E("ssm:DeleteParameter", PARAMETER)),
]

CONNECTION = "arn:aws:codestar-connections:us-east-1:222222222222:connection/6f2c3b1e-0000-4000-8000-000000000001"
CONNECTIONS = [
    case(
        "codestar-connections",
        "create_connection",
        {"ConnectionName": "churn-dev", "ProviderType": "GitHub", "Tags": TAG},
        E(
            "codestar-connections:CreateConnection",
            "*",
            ctx={"codestar-connections:providertype": ("GitHub",), **TAG_CTX},
        ),
    ),
    case(
        "codestar-connections",
        "get_connection",
        {"ConnectionArn": CONNECTION},
        E("codestar-connections:GetConnection", CONNECTION),
    ),
    case("codestar-connections", "list_connections", {}, E("codestar-connections:ListConnections", "*")),
    case(
        "codeconnections",
        "get_connection",
        {"ConnectionArn": CONNECTION.replace("codestar-connections", "codeconnections")},
        E("codeconnections:GetConnection", CONNECTION.replace("codestar-connections", "codeconnections")),
    ),
]

CASES = [*SAGEMAKER, *DYNAMODB, *EVENTS, *KMS, *S3, *IDENTITY, *DEVTOOLS, *OPERATIONS, *SSM, *CONNECTIONS]


# ---------------------------------------------------------------------------------------------------------------------
# checks


def check(parsed: ParsedRequest | None, operation: str, expect: Sequence[E], exact: bool = True) -> None:
    assert parsed is not None
    assert parsed.operation == operation
    got = [(a.action, a.resource, a.resource_account) for a in parsed.authorizations]
    assert got == [(e.action, e.resource, e.account) for e in expect]
    for authz, wanted in zip(parsed.authorizations, expect, strict=True):
        for key, values in wanted.ctx.items():
            assert tuple(authz.context.get(key, ())) == tuple(values), f"{authz.action} {key}: {authz.context}"
    assert parsed.exact is exact


@pytest.mark.parametrize(("service", "method", "params", "expect", "exact"), CASES)
def test_botocore_request(
    service: str, method: str, params: Mapping[str, Any], expect: Sequence[E], exact: bool
) -> None:
    parsed = parse(capture(service, method, params), FakeResolver())
    check(parsed, _client(service).meta.method_to_api_mapping[method], expect, exact)


def test_every_service_is_covered() -> None:
    covered = {c.values[0] for c in CASES}
    assert covered == set(RULES)


def test_prefix_follows_iam_not_the_signing_name() -> None:
    runtime = parse(
        capture("sagemaker-runtime", "invoke_endpoint", {"EndpointName": "e", "Body": b"x"}), FakeResolver()
    )
    metrics = parse(capture("cloudwatch", "list_metrics", {}), FakeResolver())
    assert runtime is not None and (runtime.service_prefix, runtime.protocol) == ("sagemaker", "rest-json")
    assert metrics is not None and (metrics.service_prefix, metrics.protocol) == ("cloudwatch", "json")


def test_unknown_json_operation_is_star_and_inexact() -> None:
    request = HttpRequest(
        "sagemaker", REGION, DEV, "POST", "/", {}, {"x-amz-target": "SageMaker.FrobnicateWidget"}, b"{}"
    )
    parsed = parse(request, FakeResolver())
    assert parsed is not None
    assert (parsed.operation, parsed.exact) == ("FrobnicateWidget", False)
    assert [(a.action, a.resource) for a in parsed.authorizations] == [("sagemaker:FrobnicateWidget", "*")]


def test_unknown_query_operation_and_unknown_service() -> None:
    query = HttpRequest(
        "sts",
        REGION,
        DEV,
        "POST",
        "/",
        {},
        {"content-type": "application/x-www-form-urlencoded"},
        b"Action=FrobnicateRole&Version=2011-06-15",
    )
    other = HttpRequest("execute-api", REGION, DEV, "GET", "/prod/items", {}, {}, b"")
    for request, action in ((query, "sts:FrobnicateRole"), (other, "execute-api:UnknownOperation")):
        parsed = parse(request, FakeResolver())
        assert parsed is not None and not parsed.exact
        assert [(a.action, a.resource) for a in parsed.authorizations] == [(action, "*")]


def test_unresolved_resource_is_inexact() -> None:
    parsed = parse(capture("kms", "describe_key", {"KeyId": "alias/nowhere"}), FakeResolver())
    assert parsed is not None and not parsed.exact
    assert [(a.action, a.resource) for a in parsed.authorizations] == [("kms:DescribeKey", "*")]


def test_sandbox_paths_are_not_api_calls() -> None:
    for path in ("/moto-api/reset", "/_sandbox/iam/report"):
        assert parse(HttpRequest("s3", REGION, DEV, "POST", path, {}, {}, b""), FakeResolver()) is None


def test_existing_service_linked_role_is_not_created() -> None:
    params = {**SCALING, "ScalableDimension": DIMENSION, "MinCapacity": 1, "MaxCapacity": 2}
    parsed = parse(
        capture("application-autoscaling", "register_scalable_target", params), FakeResolver(slr_exists=True)
    )
    assert parsed is not None
    assert [a.action for a in parsed.authorizations] == [
        "application-autoscaling:RegisterScalableTarget",
        "sagemaker:DescribeEndpoint",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
    ]


def test_query_leading_key_through_attribute_names_and_legacy_conditions() -> None:
    aliased = {
        "TableName": "t",
        "KeyConditionExpression": "#p = :v",
        "ExpressionAttributeNames": {"#p": "id"},
        "ExpressionAttributeValues": {":v": {"S": "x"}},
    }
    legacy = {
        "TableName": "t",
        "KeyConditions": {"id": {"AttributeValueList": [{"S": "y"}], "ComparisonOperator": "EQ"}},
    }
    resolver = FakeResolver(hash_keys={"t": "id"})
    for params, value in ((aliased, "x"), (legacy, "y")):
        parsed = parse(capture("dynamodb", "query", params), resolver)
        assert parsed is not None
        assert parsed.authorizations[0].context["dynamodb:leadingkeys"] == (value,)
    unknown_table = parse(capture("dynamodb", "query", aliased), FakeResolver(hash_keys={}))
    assert unknown_table is not None and "dynamodb:leadingkeys" not in unknown_table.authorizations[0].context


def _serialized(service: str, operation: str, params: Mapping[str, Any], protocol: str) -> HttpRequest:
    """A request in another protocol the service model lists (the AWS CLI / Terraform may use it)."""
    model = _session.get_service_model(service)
    wire = create_serializer(protocol).serialize_to_request(params, model.operation_model(operation))
    body = wire["body"]
    if isinstance(body, dict):
        body = urlencode(body).encode()
    headers = {k.lower(): _text(v) for k, v in wire["headers"].items()}
    if protocol == "query":
        headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8"
    return HttpRequest("monitoring", REGION, DEV, wire["method"], wire["url_path"], {}, headers, body or b"")


@pytest.mark.parametrize("protocol", ["query", "smithy-rpc-v2-cbor"])
def test_cloudwatch_in_query_and_cbor(protocol: str) -> None:
    put = _serialized("cloudwatch", "PutMetricData", {"Namespace": "NS", "MetricData": [{"MetricName": "m"}]}, protocol)
    alarms = _serialized("cloudwatch", "DescribeAlarms", {"AlarmNames": ["a", "b"]}, protocol)
    check(
        parse(put, FakeResolver()),
        "PutMetricData",
        [E("cloudwatch:PutMetricData", "*", ctx={"cloudwatch:namespace": ("NS",)})],
    )
    check(
        parse(alarms, FakeResolver()),
        "DescribeAlarms",
        [
            E("cloudwatch:DescribeAlarms", arn("cloudwatch", "alarm:a")),
            E("cloudwatch:DescribeAlarms", arn("cloudwatch", "alarm:b")),
        ],
    )


def test_s3_virtual_host_and_sdk_x_id() -> None:
    virtual = HttpRequest("s3", REGION, DEV, "GET", "/a/b.txt", {}, {"host": "churn-dev-data.s3.amazonaws.com"}, b"")
    x_id = HttpRequest("s3", REGION, DEV, "PUT", "/churn-dev-data/k", {"x-id": ["PutObject"]}, {}, b"x")
    check(parse(virtual, FakeResolver()), "GetObject", [E("s3:GetObject", f"{BUCKET}/a/b.txt")])
    check(parse(x_id, FakeResolver()), "PutObject", [E("s3:PutObject", f"{BUCKET}/k")])


def test_preload_loads_every_service() -> None:
    preload()
    parsed = parse(capture("s3", "get_bucket_policy", {"Bucket": "churn-dev-data"}), FakeResolver())
    assert parsed is not None and parsed.operation == "GetBucketPolicy"


def test_authorization_is_the_shared_model() -> None:
    parsed = parse(capture("sagemaker", "describe_model", {"ModelName": "m"}), FakeResolver())
    assert parsed is not None and all(isinstance(a, Authorization) for a in parsed.authorizations)


def test_s3_kms_key_ids_resolve_in_the_requester_account() -> None:
    resolver = FakeResolver()
    resolver.buckets["churn-dev-data"] = (DEV, "alias/churn-dev")  # a bucket default given as an alias
    put = parse(capture("s3", "put_object", {"Bucket": "churn-dev-data", "Key": "k", "Body": b"x"}), resolver)
    part = capture("s3", "upload_part", {"Bucket": "churn-dev-data", "Key": "k", "UploadId": "u", "PartNumber": 2})
    check(put, "PutObject", [E("s3:PutObject", f"{BUCKET}/k"), E("kms:GenerateDataKey", DEV_KEY, ctx=VIA_S3)])
    check(parse(part, resolver), "UploadPart", [E("s3:PutObject", f"{BUCKET}/k"), E("kms:Decrypt", DEV_KEY)])
    aes = capture("s3", "put_object", {"Bucket": "churn-dev-data", "Key": "k", "ServerSideEncryption": "AES256"})
    check(parse(aes, resolver), "PutObject", [E("s3:PutObject", f"{BUCKET}/k")])
