"""Application Auto Scaling. Its scalable-target ARNs carry an id the request never names, so its actions are
checked on "*" (what policies grant in practice), with the namespace and dimension as condition keys.
Registering a SageMaker variant also needs the SageMaker and service-linked-role permissions AWS lists.
"""

from __future__ import annotations

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, Ctx
from sandbox.iam.services.identity import SERVICE_LINKED_ROLES, service_linked_role_arn

SAGEMAKER_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"


def _context(call: Call) -> Ctx:
    ctx: Ctx = {}
    if call.param("ServiceNamespace"):
        ctx["application-autoscaling:service-namespace"] = (call.param("ServiceNamespace"),)
    if call.param("ScalableDimension"):
        ctx["application-autoscaling:scalable-dimension"] = (call.param("ScalableDimension"),)
    return ctx


def _sagemaker_variant(call: Call) -> list[Authorization]:
    """DescribeEndpoint + UpdateEndpointWeightsAndCapacities on the endpoint, and the service-linked role."""
    parts = call.param("ResourceId").split("/")
    if call.param("ServiceNamespace") != "sagemaker" or len(parts) != 4 or parts[0] != "endpoint":
        return []
    endpoint = call.arn("sagemaker", f"endpoint/{parts[1].lower()}")
    out = [
        call.auth(endpoint, "sagemaker:DescribeEndpoint", tags=False),
        call.auth(endpoint, "sagemaker:UpdateEndpointWeightsAndCapacities", tags=False),
    ]
    if not call.resolver.service_linked_role_exists(call.account, SERVICE_LINKED_ROLES[SAGEMAKER_SERVICE]):
        role = service_linked_role_arn(call.account, call.region, SAGEMAKER_SERVICE) or "*"
        ctx = {"iam:awsservicename": (SAGEMAKER_SERVICE,)}
        out.append(call.auth(role, "iam:CreateServiceLinkedRole", context=ctx, tags=False))
    return out


def rules(call: Call) -> list[Authorization]:
    if call.param("ResourceARN"):  # TagResource / UntagResource / ListTagsForResource
        return [call.auth(call.param("ResourceARN"))]
    out = [call.star(context=_context(call))]
    if call.operation == "RegisterScalableTarget":
        out.extend(_sagemaker_variant(call))
        if call.tag_context:
            out.append(call.star("TagResource"))
    return out
