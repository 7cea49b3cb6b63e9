"""Where policies live in moto's state: identity policies of a principal, the resource policy of an ARN.

Also the `Resolver` that request parsing uses to look up owners, encryption keys, tags and key schemas.
Every lookup tolerates a missing resource: the request then goes on to moto, which answers with the
service's own "not found" error, as AWS does after authorization.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from sandbox.iam.model import NamedPolicy, Principal

log = logging.getLogger(__name__)

ADMIN_POLICY = NamedPolicy(
    "bootstrap-administrator",
    {"Version": "2012-10-17", "Statement": [{"Sid": "Root", "Effect": "Allow", "Action": "*", "Resource": "*"}]},
)
ORG_ACCESS_ROLE = "OrganizationAccountAccessRole"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _doc(text: Any) -> dict[str, Any] | str:
    """The document as moto holds it: JSON text stays text (the evaluator caches its parse)."""
    if isinstance(text, Mapping):
        return dict(text)
    return text.decode() if isinstance(text, bytes) else str(text)


def _arn_parts(arn: str) -> list[str]:
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 else ["", "", "", "", "", ""]


def identity_policies(principal: Principal, admin: bool) -> list[NamedPolicy]:
    """Inline and attached managed policies of the principal's role or user (the admin: everything)."""
    if admin:
        return [ADMIN_POLICY]
    from moto.iam.models import iam_backends

    backend = iam_backends[principal.account]["aws"]
    kind_name = principal.principal_arn.split(":", 5)[-1]
    entity: Any = None
    try:
        if kind_name.startswith("role/"):
            entity = backend.get_role_by_arn(principal.principal_arn)
        elif kind_name.startswith("user/"):
            entity = backend.get_user(kind_name.rsplit("/", 1)[-1])
    except Exception:  # deleted since the session began: no policies
        return []
    if entity is None:
        return []
    policies = [NamedPolicy(f"inline:{name}", _doc(text)) for name, text in sorted(entity.policies.items())]
    for arn, managed in sorted(entity.managed_policies.items()):
        version = next((v for v in managed.versions if v.is_default), None)
        if version is not None:
            policies.append(NamedPolicy(str(arn), _doc(version.document)))
    if kind_name.startswith("user/"):
        for group in backend.get_groups_for_user(entity.name):
            policies += [NamedPolicy(f"group:{group.name}:{n}", _doc(t)) for n, t in sorted(group.policies.items())]
            for arn, managed in sorted(group.managed_policies.items()):
                version = next((v for v in managed.versions if v.is_default), None)
                if version is not None:
                    policies.append(NamedPolicy(str(arn), _doc(version.document)))
    return policies


def trust_policy(role_arn: str) -> NamedPolicy | None:
    from moto.iam.models import iam_backends

    account = _arn_parts(role_arn)[4]
    if not account:
        return None
    ensure_builtin_roles(account)
    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception:  # AWS answers AccessDenied for a role that does not exist
        return None
    return NamedPolicy(f"trust:{role.name}", _doc(role.assume_role_policy_document))


def resource_policy(action: str, arn: str, region: str) -> NamedPolicy | None:
    """The resource-based policy that governs `arn`, if its service has one and it is set."""
    if action.lower() == "sts:assumerole":
        return trust_policy(arn)
    _, _, service, arn_region, account, resource = _arn_parts(arn)
    try:
        text = _resource_policy_text(service, arn_region or region, account, resource, arn)
    except Exception as exc:  # a missing resource has no policy; moto reports the miss
        log.debug("no resource policy for %s: %s", arn, exc)
        return None
    return NamedPolicy(f"resource:{arn}", _doc(text)) if text else None


def _resource_policy_text(service: str, region: str, account: str, resource: str, arn: str) -> Any:
    if service == "s3":
        return _bucket_policy(resource.split("/", 1)[0])
    if service == "kms" and resource.startswith("key/"):
        from moto.kms.models import kms_backends

        return kms_backends[account][region].keys[resource[4:]].policy
    if service == "sagemaker" and resource.startswith(("model-package-group/", "model-package/")):
        from moto.sagemaker.models import sagemaker_backends

        group_name = resource.split("/")[1]
        groups = sagemaker_backends[account][region].model_package_groups
        group = next((g for n, g in groups.items() if n.lower() == group_name.lower()), None)
        return getattr(group, "sandbox_policy", None) if group else None
    if service == "events" and resource.startswith("event-bus/"):
        from moto.events.models import events_backends

        bus = events_backends[account][region].event_buses.get(resource.split("/", 1)[1])
        return bus.policy if bus is not None else None
    if service == "ecr" and resource.startswith("repository/"):
        from moto.ecr.models import ecr_backends

        repo = ecr_backends[account][region].repositories.get(resource.split("/", 1)[1])
        return repo.policy if repo is not None else None
    if service == "sqs":
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[account][region].queues.get(resource)
        return queue.policy if queue is not None else None
    if service == "sns":
        from moto.sns.models import sns_backends

        topic = sns_backends[account][region].topics.get(arn)
        return topic.policy if topic is not None else None
    return None


def resource_exists(arn: str, region: str) -> bool:
    """False only for a KMS key ARN that names no key (other kinds: assume it exists)."""
    _, _, service, arn_region, account, resource = _arn_parts(arn)
    if service != "kms" or not resource.startswith("key/"):
        return True
    from moto.kms.models import kms_backends

    return resource[4:] in kms_backends[account][arn_region or region].keys


def key_aliases(arn: str, region: str) -> list[str]:
    """kms:ResourceAliases: the alias names (`alias/…`) of the key `arn` names, if it is a key."""
    _, _, service, arn_region, account, resource = _arn_parts(arn)
    if service != "kms" or not resource.startswith("key/"):
        return []
    from moto.kms.models import kms_backends

    key = kms_backends[account][arn_region or region].keys.get(resource[4:])
    return sorted(str(name) for name in getattr(key, "aliases", {}) or {}) if key is not None else []


def bucket(name: str) -> Any:
    from moto.s3.models import s3_backends

    owner = s3_backends.bucket_accounts.get(name)
    if owner is None:
        return None
    partition, account = owner
    return s3_backends[account][partition].buckets.get(name)


def _bucket_policy(name: str) -> Any:
    found = bucket(name)
    if found is None or not found.policy:
        return None
    return found.policy.decode() if isinstance(found.policy, bytes) else found.policy


def ensure_builtin_roles(account: str) -> None:
    """Every account has OrganizationAccountAccessRole, as AWS Organizations creates it: administrator
    access, trusting the management (here: tooling) account. Created on first use, and again after a reset."""
    from moto.iam.models import iam_backends

    from sandbox.accounts import load_accounts

    backend = iam_backends[account]["aws"]
    if _has_role(backend):
        return
    tooling = load_accounts()["tooling"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{tooling}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = backend.create_role(
        role_name=ORG_ACCESS_ROLE,
        assume_role_policy_document=json.dumps(trust),
        path="/",
        permissions_boundary=None,
        description="Administrator access for the organization's management account (sandbox built-in).",
        tags=[],
        max_session_duration="3600",
    )
    backend.put_role_policy(role.name, "AdministratorAccess", json.dumps(ADMIN_POLICY.document))


def _has_role(backend: Any) -> bool:
    return any(role.name == ORG_ACCESS_ROLE for role in backend.roles.values())
