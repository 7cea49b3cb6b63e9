"""DynamoDB item values skip moto's generic serializer (`sandbox.ext.dynamodb_items`) and come out the same."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.core.serialize import JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model

from sandbox.ext import dynamodb_items

ITEM = {
    "pk": {"S": "MODEL#churn#STAGE#dev"},
    "sk": {"S": "HISTORY#2026-12-07T18:00:00.000000Z#abc"},
    "version": {"N": "3"},
    "ok": {"BOOL": False},
    "nothing": {"NULL": True},
    "tags": {"SS": ["a", "b"]},
    "sizes": {"NS": ["1", "2.5"]},
    "details": {"M": {"reason": {"S": "3 of 3 passed"}, "nested": {"L": [{"N": "1"}, {"M": {"x": {"BOOL": True}}}]}}},
    "empty": {"M": {}},
    "list": {"L": []},
}


def _serialize(fast: bool, operation: str, result: dict[str, Any]) -> Any:
    model = get_service_model("dynamodb").operation_model(operation)  # moto's shapes, as its responses use
    cls: type[JSONSerializer] = JSONSerializer
    if fast:
        wrapped = dynamodb_items._wrap_structure(JSONSerializer._serialize_type_structure)
        cls = type("FastJSONSerializer", (JSONSerializer,), {"_serialize_type_structure": wrapped})
    serializer = cls(operation_model=model, value_picker=XFormedAttributePicker())
    answer = serializer.serialize(result)
    return answer["status_code"], answer["headers"], json.loads(answer["body"])


@pytest.mark.parametrize(
    "operation,result",
    [
        ("Query", {"Items": [ITEM, ITEM], "Count": 2, "ScannedCount": 2, "LastEvaluatedKey": {"pk": ITEM["pk"]}}),
        ("GetItem", {"Item": ITEM}),
        ("BatchGetItem", {"Responses": {"ledger": [ITEM]}, "UnprocessedKeys": {}}),
        # binary values are base64-encoded by moto's serializer: they keep going through it
        ("GetItem", {"Item": {**ITEM, "blob": {"B": "aGVsbG8="}, "blobs": {"BS": ["aGk="]}}}),
        ("GetItem", {"Item": {"weird": {"S": 5}, "two": {"S": "a", "N": "1"}}}),
    ],
)
def test_the_answer_is_the_one_moto_serializes(operation: str, result: dict[str, Any]) -> None:
    assert _serialize(True, operation, result) == _serialize(False, operation, result)


def test_plain_accepts_wire_form_only() -> None:
    assert all(dynamodb_items.plain(value) for value in ITEM.values())
    for value in (
        {"B": "aGk="},
        {"BS": ["aGk="]},
        {"S": 5},
        {"N": 1},
        {"BOOL": "true"},
        {"SS": ["a", 1]},
        {"M": {"x": {"B": "aGk="}}},
        {"L": [{"S": "a"}, {"BS": []}]},
        {"S": "a", "N": "1"},
        {},
        "S",
    ):
        assert not dynamodb_items.plain(value), value


def test_plain_values_never_reach_motos_structure_serializer() -> None:
    seen: list[str] = []

    def spy(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        seen.append(shape.name)
        JSONSerializer._serialize_type_structure(self, serialized, value, shape, key)

    cls = type("Spied", (JSONSerializer,), {"_serialize_type_structure": dynamodb_items._wrap_structure(spy)})
    model = get_service_model("dynamodb").operation_model("Query")
    cls(operation_model=model, value_picker=XFormedAttributePicker()).serialize({"Items": [ITEM], "Count": 1})
    assert "AttributeValue" not in seen
