"""The least-privilege report: per role, the calls allowed, the calls denied (with why), the grants never used.

A grant is one action entry of an Allow statement in a role's identity policy; it is "used" when some
allowed decision was granted by that statement for an action the entry matches. Built-in roles
(OrganizationAccountAccessRole, service-linked roles) are left out: nobody writes their policies here.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from typing import Any

from sandbox.iam import sources
from sandbox.iam.model import NamedPolicy
from sandbox.iam.statements import parse_policy


def _entries(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _grants(policy: NamedPolicy) -> list[tuple[str, str]]:
    """(statement ref, action entry) of each Allow statement, with refs as the evaluator names them."""
    statements = parse_policy(policy.document)["Statement"]
    grants = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        ref = str(statement.get("Sid") or f"#{index}")
        for entry in _entries(statement.get("Action")) or [f"NotAction:{_entries(statement.get('NotAction'))}"]:
            grants.append((ref, entry))
    return grants


def _roles() -> list[tuple[str, Any]]:
    from moto.iam.models import iam_backends

    from sandbox.accounts import load_accounts

    found = []
    for account in load_accounts().values():
        for role in list(iam_backends[account]["aws"].roles.values()):
            if role.name == sources.ORG_ACCESS_ROLE or role.path.startswith("/aws-service-role/"):
                continue
            found.append((str(role.arn), role))
    return sorted(found, key=lambda item: item[0])


def build(snapshot: dict[str, Any]) -> dict[str, Any]:
    from sandbox.iam.model import Principal

    allowed: dict[str, dict[str, int]] = defaultdict(dict)
    for row in snapshot["allowed"]:
        allowed[row["principal"]][row["action"]] = row["count"]
    denied: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in snapshot["denied"]:
        denied[row["principal"]].append(row)
    used: dict[tuple[str, str, str], list[str]] = {
        (u["principal"], u["policy"], u["statement"]): u["actions"] for u in snapshot["used"]
    }
    roles = []
    for arn, _role in _roles():
        principal = Principal(account=arn.split(":")[4], arn=arn, principal_arn=arn)
        unused = []
        for policy in sources.identity_policies(principal, admin=False):
            for ref, entry in _grants(policy):
                actions = used.get((arn, policy.name, ref), [])
                if not any(fnmatch.fnmatchcase(a.lower(), entry.lower()) for a in actions):
                    unused.append({"policy": policy.name, "statement": ref, "action": entry})
        roles.append(
            {
                "role": arn,
                "allowed": dict(sorted(allowed.pop(arn, {}).items())),
                "denied": denied.pop(arn, []),
                "unused_grants": unused,
            }
        )
    others = sorted(set(allowed) | set(denied))
    return {
        "roles": roles,
        "other_principals": [
            {"principal": p, "allowed": allowed.get(p, {}), "denied": denied.get(p, [])} for p in others
        ],
        "denied_total": sum(d["count"] for d in snapshot["denied"]),
        "allowed_total": sum(r["count"] for r in snapshot["allowed"]),
        "unexact_operations": snapshot["unexact_operations"],
    }


def render(data: dict[str, Any], *, summary: bool = False) -> str:
    lines = [f"IAM report: {data['allowed_total']} call(s) allowed, {data['denied_total']} denied"]
    for role in data["roles"]:
        calls = sum(role["allowed"].values())
        if summary and not role["denied"] and not role["unused_grants"] and calls:
            continue
        lines.append(f"  {role['role']}: {calls} allowed, {sum(d['count'] for d in role['denied'])} denied")
        for denial in role["denied"]:
            lines.append(f"    DENIED x{denial['count']} {denial['message']}")
        for grant in role["unused_grants"]:
            lines.append(f"    unused grant: {grant['action']} ({grant['policy']} / {grant['statement']})")
        if not summary:
            for action, count in role["allowed"].items():
                lines.append(f"    allowed x{count} {action}")
    for other in data["other_principals"]:
        for denial in other["denied"]:
            lines.append(f"  {other['principal']}: DENIED x{denial['count']} {denial['message']}")
    if data["unexact_operations"]:
        lines.append(
            "  operations authorized on '*' (no resource derivation): " + ", ".join(sorted(data["unexact_operations"]))
        )
    return "\n".join(lines)
