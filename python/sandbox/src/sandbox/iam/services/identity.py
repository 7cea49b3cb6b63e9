"""STS and IAM: roles `arn:aws:iam::<account>:role/<path><name>`, policies `...:policy/<path><name>`."""

from __future__ import annotations

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, Ctx, Rule, as_list, dispatch, first_present, is_arn, partition

# Service-linked role names of the services this project lets AWS create roles for.
SERVICE_LINKED_ROLES = {
    "sagemaker.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
}
_STS_STAR = frozenset(
    {"GetSessionToken", "GetAccessKeyInfo", "DecodeAuthorizationMessage", "GetFederationToken", "GetWebIdentityToken"}
)
# IAM entity parameters, most specific first, with their ARN resource type.
_IAM_PARAMS = (
    ("RoleName", "role"),
    ("UserName", "user"),
    ("GroupName", "group"),
    ("InstanceProfileName", "instance-profile"),
    ("PolicyArn", ""),
    ("OpenIDConnectProviderArn", ""),
    ("SAMLProviderArn", ""),
)
_IAM_STAR_PREFIXES = ("List", "GetAccount", "GenerateCredentialReport", "GetCredentialReport", "CreateAccountAlias")
_TAG_ON_CREATE = {"CreateRole": "TagRole", "CreatePolicy": "TagPolicy", "CreateUser": "TagUser"}


def service_linked_role_arn(account: str, region: str, service: str) -> str | None:
    name = SERVICE_LINKED_ROLES.get(service)
    if name is None:
        return None
    return f"arn:{partition(region)}:iam::{account}:role/aws-service-role/{service}/{name}"


def _assume_role(call: Call) -> list[Authorization]:
    role = call.param("RoleArn")
    ctx: Ctx = {"sts:rolesessionname": (call.param("RoleSessionName"),)}
    if call.param("ExternalId"):
        ctx["sts:externalid"] = (call.param("ExternalId"),)
    if call.param("SourceIdentity"):
        ctx["sts:sourceidentity"] = (call.param("SourceIdentity"),)
    transitive = as_list(call.params.get("TransitiveTagKeys"))
    if transitive:
        ctx["sts:transitivetagkeys"] = tuple(map(str, transitive))
    if not is_arn(role):
        return [call.unknown()]
    out = [call.auth(role, context=ctx)]
    if call.tag_context.get("aws:tagkeys"):  # session tags need sts:TagSession on the role as well
        out.append(call.auth(role, "TagSession", context=ctx))
    if call.param("SourceIdentity"):
        out.append(call.auth(role, "SetSourceIdentity", context=ctx, tags=False))
    return out


def sts_rules(call: Call) -> list[Authorization]:
    if call.operation == "GetCallerIdentity":
        return []  # AWS answers it for every signed caller, whatever the policies say
    if call.operation in _STS_STAR or call.operation.startswith("AssumeRoleWith"):
        return [call.star()]
    if call.operation == "AssumeRole":
        return _assume_role(call)
    return [call.unknown()]


def _entity_arn(call: Call, kind: str, name: str) -> str:
    if not kind or is_arn(name):
        return name
    path = call.param("Path") if call.operation.startswith("Create") else ""
    return f"arn:{partition(call.region)}:iam::{call.account}:{kind}{path or '/'}{name}"


def _create_service_linked_role(call: Call) -> list[Authorization]:
    service = call.param("AWSServiceName")
    arn = service_linked_role_arn(call.account, call.region, service)
    ctx = {"iam:awsservicename": (service,)}
    if arn is None:
        arn = f"arn:{partition(call.region)}:iam::{call.account}:role/aws-service-role/{service}/*"
    return [call.auth(arn, context=ctx)]


def _create_policy(call: Call) -> list[Authorization]:
    arn = _entity_arn(call, "policy", call.param("PolicyName"))
    out = [call.auth(arn)]
    if call.tag_context.get("aws:tagkeys"):
        out.append(call.auth(arn, "TagPolicy"))
    return out


def _iam_generic(call: Call) -> list[Authorization]:
    found = first_present(call, [name for name, _ in _IAM_PARAMS])
    if found is None:
        if call.operation.startswith(_IAM_STAR_PREFIXES):
            return [call.star()]
        return [call.unknown()]
    param, value = found
    arn = _entity_arn(call, dict(_IAM_PARAMS)[param], value)
    ctx: Ctx = {}
    if param != "PolicyArn" and call.param("PolicyArn"):
        ctx["iam:policyarn"] = (call.param("PolicyArn"),)
    if call.param("PermissionsBoundary"):
        ctx["iam:permissionsboundary"] = (call.param("PermissionsBoundary"),)
    out = [call.auth(arn, context=ctx)]
    tagging = _TAG_ON_CREATE.get(call.operation)
    if tagging and call.tag_context.get("aws:tagkeys"):
        out.append(call.auth(arn, tagging))
    return out


_IAM_RULES: dict[str, Rule] = {
    "CreateServiceLinkedRole": _create_service_linked_role,
    "CreatePolicy": _create_policy,
}


def iam_rules(call: Call) -> list[Authorization]:
    return dispatch(call, _IAM_RULES, _iam_generic)
