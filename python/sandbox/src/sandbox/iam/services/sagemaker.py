"""SageMaker and SageMaker Runtime: resources are `arn:...:sagemaker:<region>:<account>:<kind>/<name>`.

SageMaker lower-cases names in its ARNs, so every ARN built or read here is lower-cased after the account.
"""

from __future__ import annotations

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import (
    Call,
    Ctx,
    Rule,
    arn_account,
    as_dict,
    as_list,
    as_str,
    dispatch,
    is_arn,
)

PRINCIPAL = "sagemaker.amazonaws.com"
# Request parameters that name the resource an operation acts on, most specific first.
_KIND_BY_PARAM: tuple[tuple[str, str], ...] = (
    ("ResourceArn", ""),
    ("ModelPackageArn", "model-package"),
    ("ModelPackageName", "model-package"),
    ("ModelPackageGroupName", "model-package-group"),
    ("EndpointName", "endpoint"),
    ("EndpointConfigName", "endpoint-config"),
    ("ModelName", "model"),
    ("InferenceComponentName", "inference-component"),
    ("PipelineName", "pipeline"),
    ("TrainingJobName", "training-job"),
    ("ProcessingJobName", "processing-job"),
    ("TransformJobName", "transform-job"),
    ("MonitoringScheduleName", "monitoring-schedule"),
    ("ModelCardName", "model-card"),
    ("ProjectName", "project"),
    ("FeatureGroupName", "feature-group"),
    ("NotebookInstanceName", "notebook-instance"),
    ("ExperimentName", "experiment"),
)
_KIND = dict(_KIND_BY_PARAM)
# Reads over many resources, which IAM authorizes on "*".
_STAR_PREFIXES = ("List", "Search", "GetSearchSuggestions", "QueryLineage")


def lower_arn(arn: str) -> str:
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return arn
    parts[5] = parts[5].lower()
    return ":".join(parts)


def resource_arn(call: Call, kind: str, value: str) -> str:
    """The ARN of a SageMaker resource named by a name or an ARN."""
    if is_arn(value):
        return lower_arn(value)
    if kind == "model-package":
        found = call.resolver.model_package_arn(value, call.account, call.region)
        if found:
            return lower_arn(found)
    return call.arn("sagemaker", f"{kind}/{value.lower()}")


def _named(call: Call, param: str) -> str:
    value = call.param(param)
    return resource_arn(call, _KIND[param], value) if value else ""


def _generic(call: Call) -> list[Authorization]:
    if call.operation.startswith(_STAR_PREFIXES) and call.operation != "ListTags":
        return [call.star()]
    for param, kind in _KIND_BY_PARAM:
        value = call.param(param)
        if value:
            return _with_dependents(call, [call.auth(resource_arn(call, kind, value))])
    return [call.unknown()]


def _with_dependents(call: Call, main: list[Authorization]) -> list[Authorization]:
    """Add the dependent actions every SageMaker create carries: AddTags for its tags, PassRole for its role."""
    out = list(main)
    created = main[0].resource if main else "*"
    if call.operation.startswith("Create") and call.tag_context.get("aws:tagkeys") and created != "*":
        out.append(call.auth(created, "AddTags", context={"sagemaker:taggingaction": (call.operation,)}))
    if call.operation.startswith(("Create", "Update")):
        for param in ("ExecutionRoleArn", "RoleArn"):
            role = call.param(param)
            if role:
                out.append(call.pass_role(role, PRINCIPAL, associated=created if created != "*" else ""))
    return out


def _create_model(call: Call) -> list[Authorization]:
    ctx: Ctx = {}
    if "EnableNetworkIsolation" in call.params:
        ctx["sagemaker:networkisolation"] = (str(bool(call.params["EnableNetworkIsolation"])).lower(),)
    vpc = as_dict(call.params.get("VpcConfig"))
    if vpc:
        ctx["sagemaker:vpcsecuritygroupids"] = tuple(map(str, as_list(vpc.get("SecurityGroupIds"))))
        ctx["sagemaker:vpcsubnets"] = tuple(map(str, as_list(vpc.get("Subnets"))))
    return _with_dependents(call, [call.auth(_named(call, "ModelName"), context=ctx)])


def _create_endpoint_config(call: Call) -> list[Authorization]:
    variants = [as_dict(v) for v in as_list(call.params.get("ProductionVariants"))]
    ctx: Ctx = {}
    types = tuple(as_str(v.get("InstanceType")) for v in variants if v.get("InstanceType"))
    if types:
        ctx["sagemaker:instancetypes"] = types
    models = tuple(resource_arn(call, "model", as_str(v["ModelName"])) for v in variants if v.get("ModelName"))
    if models:
        ctx["sagemaker:modelarn"] = models
    if call.param("KmsKeyId"):
        ctx["sagemaker:volumekmskey"] = (call.param("KmsKeyId"),)
    return _with_dependents(call, [call.auth(_named(call, "EndpointConfigName"), context=ctx)])


def _endpoint_and_config(call: Call) -> list[Authorization]:
    """CreateEndpoint / UpdateEndpoint: authorized on the endpoint and on the endpoint config it names."""
    main = [call.auth(_named(call, "EndpointName"))]
    if call.param("EndpointConfigName"):
        main.append(call.auth(_named(call, "EndpointConfigName")))
    return _with_dependents(call, main)


def _package_context(call: Call) -> Ctx:
    ctx: Ctx = {}
    if call.param("ModelApprovalStatus"):
        ctx["sagemaker:modelapprovalstatus"] = (call.param("ModelApprovalStatus"),)
    for key, value in as_dict(call.params.get("CustomerMetadataProperties")).items():
        ctx[f"sagemaker:customermetadataproperties/{key.lower()}"] = (str(value),)
    removed = as_list(call.params.get("CustomerMetadataPropertiesToRemove"))
    if removed:
        ctx["sagemaker:customermetadatapropertiestoremove"] = tuple(map(str, removed))
    return ctx


def _group_versions(call: Call, group: str) -> str:
    """The versioned packages of a group (`model-package/<group>/*`), in the group's own account."""
    if is_arn(group):
        name = group.rsplit("/", 1)[-1]
        return call.arn("sagemaker", f"model-package/{name.lower()}/*", account=arn_account(group))
    return call.arn("sagemaker", f"model-package/{group.lower()}/*")


def _create_model_package(call: Call) -> list[Authorization]:
    group = call.param("ModelPackageGroupName")
    # A new version's number is not known before it exists: the group's versions stand for it.
    resource = _group_versions(call, group) if group else _named(call, "ModelPackageName")
    return _with_dependents(call, [call.auth(resource, context=_package_context(call))])


def _update_model_package(call: Call) -> list[Authorization]:
    return [call.auth(_named(call, "ModelPackageArn"), context=_package_context(call))]


def _list_model_packages(call: Call) -> list[Authorization]:
    group = call.param("ModelPackageGroupName")
    return [call.auth(_group_versions(call, group))] if group else [call.star()]


_RULES: dict[str, Rule] = {
    "CreateModel": _create_model,
    "CreateEndpointConfig": _create_endpoint_config,
    "CreateEndpoint": _endpoint_and_config,
    "UpdateEndpoint": _endpoint_and_config,
    "CreateModelPackage": _create_model_package,
    "UpdateModelPackage": _update_model_package,
    "ListModelPackages": _list_model_packages,
}


def rules(call: Call) -> list[Authorization]:
    return dispatch(call, _RULES, _generic)


def runtime_rules(call: Call) -> list[Authorization]:
    """sagemaker-runtime: every invocation is `sagemaker:<Op>` on the endpoint (and its inference component)."""
    endpoint = call.param("EndpointName")
    if not endpoint:
        return [call.unknown()]
    ctx: Ctx = {}
    if call.param("TargetModel"):
        ctx["sagemaker:targetmodel"] = (call.param("TargetModel"),)
    out = [call.auth(resource_arn(call, "endpoint", endpoint), context=ctx)]
    component = call.param("InferenceComponentName")
    if component:
        out.append(call.auth(resource_arn(call, "inference-component", component), context=ctx))
    return out
