"""ListModels answers what was asked (name filter, creation-time window, sort, pages) in the ModelSummary shape;
moto answered every model of the account in DescribeModel's shape whatever the request said."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Sandbox
from tests.sandbox.test_hosting import FAST, Unique, error_of, make_model, sm

pytestmark = pytest.mark.usefixtures("execution_role")


def test_list_models_filters_sorts_and_pages(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    prefix = unique("lm")
    names = []
    for index in range(3):
        names.append(make_model(client, f"{prefix}-m{index}", FAST))
        time.sleep(0.2)  # apart by more than the timestamps' millisecond precision
    other = make_model(client, unique("other"), FAST)

    found = client.list_models(NameContains=prefix, MaxResults=100)["Models"]
    assert [m["ModelName"] for m in found] == names[::-1]  # newest first by default
    assert set(found[0]) == {"ModelName", "ModelArn", "CreationTime"}
    assert found[0]["ModelArn"].endswith(f":model/{names[2]}")
    assert other not in [m["ModelName"] for m in client.list_models(NameContains=prefix)["Models"]]

    by_name = client.list_models(NameContains=prefix, SortBy="Name", SortOrder="Ascending")["Models"]
    assert [m["ModelName"] for m in by_name] == sorted(names)

    first = client.list_models(NameContains=prefix, MaxResults=2)
    assert len(first["Models"]) == 2 and first["NextToken"]
    rest = client.list_models(NameContains=prefix, MaxResults=2, NextToken=first["NextToken"])
    assert [m["ModelName"] for m in first["Models"] + rest["Models"]] == names[::-1]
    assert "NextToken" not in rest

    middle = client.describe_model(ModelName=names[1])["CreationTime"]
    after = client.list_models(NameContains=prefix, CreationTimeAfter=middle + timedelta(milliseconds=100))["Models"]
    assert [m["ModelName"] for m in after] == [names[2]]
    before = client.list_models(NameContains=prefix, CreationTimeBefore=middle - timedelta(milliseconds=100))["Models"]
    assert [m["ModelName"] for m in before] == [names[0]]

    paginated = client.get_paginator("list_models").paginate(NameContains=prefix, PaginationConfig={"PageSize": 1})
    assert sorted(m["ModelName"] for page in paginated for m in page["Models"]) == sorted(names)


def test_list_models_refuses_a_bad_sort(sandbox: Sandbox) -> None:
    client = sm(sandbox, validate=False)
    with pytest.raises(ClientError) as exc:
        client.list_models(SortBy="Size")
    code, message = error_of(exc)
    assert code == "ValidationException" and "Member must satisfy enum value set: [Name, CreationTime]" in message
