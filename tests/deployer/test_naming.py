"""The names the deployer generates: length, SageMaker's pattern, one endpoint's names never another's."""

from __future__ import annotations

import pytest

from deployer.config.patterns import SM_NAME
from deployer.naming import MAX_NAME, endpoint_hash, is_ours, name_prefix, parse_name, resource_name

SHARED = "churn-model-serving-production-eu-west-1-blue-green-abcd"  # 56 characters
assert len(SHARED) == 56
ENDPOINTS = [
    "churn-dev",
    "a",
    "e" * 51,  # fits whole for v1..v9 only
    "e" * 52,
    SHARED + "-a",
    SHARED + "-b",
    SHARED + "1234567",  # 63, the longest endpoint name
    "x" * 32 + "-" * 20 + "y",  # hyphens where the name is cut
]
VERSIONS = [1, 9, 10, 123, 10**9]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("version", VERSIONS)
def test_names_fit_the_pattern_and_parse_back_for_exactly_their_endpoint(endpoint: str, version: int) -> None:
    name = resource_name(endpoint, version, "0badf00d")
    assert len(name) <= MAX_NAME and SM_NAME.match(name)
    assert name.startswith(name_prefix(endpoint))
    parsed = parse_name(name, endpoint)
    assert parsed is not None and parsed[1:] == (version, "0badf00d")
    assert is_ours(name, endpoint)
    assert [other for other in ENDPOINTS if is_ours(name, other)] == [endpoint]


def test_short_endpoint_names_are_kept_whole_and_unchanged() -> None:
    assert resource_name("churn-dev", 7, "12345678") == "churn-dev-v7-12345678"
    assert parse_name("churn-dev-v7-12345678") == ("churn-dev", 7, "12345678")
    assert resource_name("e" * 51, 1, "12345678") == "e" * 51 + "-v1-12345678"  # exactly 63


def test_long_endpoint_names_carry_a_hash_of_the_whole_name() -> None:
    a, b = SHARED + "-a", SHARED + "-b"
    name_a, name_b = resource_name(a, 3, "12345678"), resource_name(b, 3, "12345678")
    assert name_a != name_b  # same version, same request: still two names
    assert name_a == f"{SHARED[:41].rstrip('-')}-{endpoint_hash(a)}--v3-12345678"  # no "--" inside
    assert len(name_a) == MAX_NAME - 1  # the cut fell on a hyphen, which is dropped
    assert not is_ours(name_a, b) and not is_ours(name_b, a)


def test_a_name_for_one_endpoint_is_never_ours_for_another() -> None:
    assert not is_ours("churn-dev-v1-12345678", "churn-dev2")
    assert not is_ours("churn-dev2-v1-12345678", "churn-dev")
    assert not is_ours("churn-dev-eu-v1-12345678", "churn-dev")
    # the first 51 characters alone (the old shortened form) no longer count as ours
    long = SHARED + "-a"
    assert not is_ours(f"{long[:51]}-v1-12345678", long)
    # an endpoint named like another's shortened form cannot produce that name: the "--v" marks the shortened form
    cut = resource_name(long, 1, "12345678")
    lookalike = cut.rsplit("--v", 1)[0].rstrip("-")
    assert resource_name(lookalike, 1, "12345678") != cut
    assert not is_ours(cut, lookalike)


@pytest.mark.parametrize(
    "name",
    [
        "churn-dev",
        "churn-dev-v1",
        "churn-dev-v1-1234567",
        "churn-dev-v1-1234567G",
        "churn-dev-vx-12345678",
        "-v1-12345678",
    ],
)
def test_names_the_deployer_did_not_generate_do_not_parse(name: str) -> None:
    assert parse_name(name) is None
    assert not is_ours(name, "churn-dev")


def test_an_impossibly_long_version_is_refused_not_mangled() -> None:
    with pytest.raises(ValueError, match="too long"):
        resource_name("e" * 60, 10**45, "12345678")
    assert parse_name("e" * 10 + "-v" + "9" * 42 + "-12345678", "e" * 60) is None
