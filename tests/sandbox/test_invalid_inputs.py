"""Inputs AWS refuses or evaluates quietly, answered as AWS does: invalid SageMaker ARNs get ValidationException
(`sandbox.ext.sagemaker_arns`); DynamoDB conditions comparing mismatched types are false
(`sandbox.ext.dynamodb_conditions`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNTS, REGION, Sandbox

NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})
DEV = ACCOUNTS["dev"]


def _sagemaker(sandbox: Sandbox) -> Any:
    return sandbox.session("dev").client("sagemaker", endpoint_url=sandbox.url, config=NO_RETRIES)


@pytest.mark.parametrize(
    "arn",
    ["", "not-an-arn", "arn:aws:sagemaker:us-east-1:222222222222", "arn:aws:s3:::bucket/key", "a" * 300],
)
@pytest.mark.parametrize("operation", ["list_tags", "add_tags", "delete_tags"])
def test_a_malformed_arn_is_a_validation_exception(sandbox: Sandbox, operation: str, arn: str) -> None:
    extra: dict[str, Any] = {"list_tags": {}, "add_tags": {"Tags": [{"Key": "k", "Value": "v"}]},
                             "delete_tags": {"TagKeys": ["k"]}}[operation]  # fmt: skip
    with pytest.raises(ClientError) as exc:
        getattr(_sagemaker(sandbox), operation)(ResourceArn=arn, **extra)
    error, meta = exc.value.response["Error"], exc.value.response["ResponseMetadata"]
    assert (meta["HTTPStatusCode"], error["Code"]) == (400, "ValidationException")
    assert error["Message"].startswith(f"1 validation error detected: Value '{arn}' at 'resourceArn' failed")


@pytest.mark.parametrize("kind", ["endpoint-config", "endpoint", "model", "no-such-kind"])
def test_a_missing_resource_is_a_validation_exception(sandbox: Sandbox, kind: str) -> None:
    arn = f"arn:aws:sagemaker:{REGION}:{DEV}:{kind}/missing-one"
    with pytest.raises(ClientError) as exc:
        _sagemaker(sandbox).list_tags(ResourceArn=arn)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f"Could not find {kind} with name missing-one",
    }


def test_a_valid_arn_still_lists_tags(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm = _sagemaker(sandbox)
    group = unique("arn-grp")
    arn = sm.create_model_package_group(ModelPackageGroupName=group, Tags=[{"Key": "team", "Value": "a"}])[
        "ModelPackageGroupArn"
    ]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]


@pytest.fixture
def table(sandbox: Sandbox, unique: Callable[[str], str]) -> tuple[Any, str]:
    ddb = sandbox.session("tooling").client("dynamodb", endpoint_url=sandbox.url, config=NO_RETRIES)
    name = unique("cond")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # a lease whose expiry was written as a string: AWS never orders a string against a number
    ddb.put_item(TableName=name, Item={"pk": {"S": "lock"}, "expires_at": {"S": "tomorrow"}, "n": {"N": "1"}})
    return ddb, name


MISMATCHED = [
    "expires_at < :now",
    "expires_at <= :now",
    "expires_at > :now",
    "expires_at >= :now",
    "expires_at BETWEEN :now AND :later",
    "n < :text",
]
VALUES = {":now": {"N": "5"}, ":later": {"N": "9"}, ":text": {"S": "x"}}


def _only_used(expression: str) -> dict[str, Any]:
    return {k: v for k, v in VALUES.items() if k in expression}


@pytest.mark.parametrize("condition", MISMATCHED)
@pytest.mark.parametrize("write", ["put_item", "update_item", "delete_item"])
def test_a_mismatched_comparison_fails_the_condition(table: tuple[Any, str], write: str, condition: str) -> None:
    ddb, name = table
    key = {"pk": {"S": "lock"}}
    args: dict[str, Any] = {"TableName": name, "ConditionExpression": condition,
                            "ExpressionAttributeValues": _only_used(condition)}  # fmt: skip
    if write == "put_item":
        args["Item"] = {**key, "owner": {"S": "me"}}
    elif write == "update_item":
        args.update(Key=key, UpdateExpression="SET #o = :me", ExpressionAttributeNames={"#o": "owner"})
        args["ExpressionAttributeValues"] = {**args["ExpressionAttributeValues"], ":me": {"S": "me"}}
    else:
        args["Key"] = key
    with pytest.raises(ClientError) as exc:
        getattr(ddb, write)(**args)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert ddb.get_item(TableName=name, Key=key)["Item"]["expires_at"] == {"S": "tomorrow"}


@pytest.mark.parametrize("condition", MISMATCHED)
def test_a_mismatched_comparison_cancels_the_transaction(table: tuple[Any, str], condition: str) -> None:
    ddb, name = table
    put = {"TableName": name, "Item": {"pk": {"S": "lock"}, "owner": {"S": "me"}}, "ConditionExpression": condition,
           "ExpressionAttributeValues": _only_used(condition)}  # fmt: skip
    other = {"TableName": name, "Item": {"pk": {"S": "other"}}}
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(TransactItems=[{"Put": put}, {"Put": other}])
    assert exc.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in exc.value.response["CancellationReasons"]]
    assert reasons == ["ConditionalCheckFailed", "None"]
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "other"}})


def test_matching_types_still_compare(table: tuple[Any, str]) -> None:
    ddb, name = table
    ddb.put_item(TableName=name, Item={"pk": {"S": "lock"}, "n": {"N": "2"}}, ConditionExpression="n < :now",
                 ExpressionAttributeValues={":now": {"N": "5"}})  # fmt: skip
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=name, Item={"pk": {"S": "lock"}}, ConditionExpression="n > :now",
                     ExpressionAttributeValues={":now": {"N": "5"}})  # fmt: skip
    assert exc.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
