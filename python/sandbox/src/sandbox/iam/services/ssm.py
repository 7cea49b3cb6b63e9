"""SSM Parameter Store: parameters `arn:...:ssm:<region>:<account>:parameter/<name without leading slash>`.

A SecureString under a customer managed key also needs KMS permissions as the caller, with kms:ViaService =
ssm.<region>.amazonaws.com and the encryption context PARAMETER_ARN = the parameter's ARN: kms:Decrypt to read
it with WithDecryption, kms:Encrypt to write a standard one (kms:GenerateDataKey an advanced one). The AWS
managed key aws/ssm (no KeyId) allows any principal of the account through SSM: nothing to check.
"""

from __future__ import annotations

from sandbox.iam.model import Authorization
from sandbox.iam.services import kms
from sandbox.iam.services._call import Call, Ctx, as_list, as_str, is_arn

# No resource-level permissions (Service Authorization Reference).
_STAR = frozenset({"DescribeParameters"})
_AWS_MANAGED = ("alias/aws/ssm", "")


def parameter_arn(call: Call, name: str) -> str:
    """A parameter's ARN from its name (`/a/b` or `a`) or ARN; a version or label selector (`:3`) is dropped."""
    if is_arn(name):
        return name
    bare = name.split(":", 1)[0].lstrip("/")
    return call.arn("ssm", f"parameter/{bare}")


def _kms(call: Call, action: str, key_id: str, arn: str) -> Authorization | None:
    if key_id in _AWS_MANAGED or key_id.endswith(":alias/aws/ssm"):
        return None
    key_arn = kms.key_arn(call, key_id)
    if key_arn is None:
        return call.unknown(action)
    ctx: Ctx = {
        "kms:viaservice": (f"ssm.{call.region}.amazonaws.com",),
        "kms:encryptioncontext:parameter_arn": (arn,),
        "kms:encryptioncontextkeys": ("PARAMETER_ARN",),
    }
    return call.auth(key_arn, action, context=ctx, tags=False)


def _read(call: Call, names: list[str]) -> list[Authorization]:
    out: list[Authorization] = []
    for name in names:
        arn = parameter_arn(call, name)
        out.append(call.auth(arn))
        if call.params.get("WithDecryption"):
            key = call.resolver.ssm_parameter_kms_key(name, call.account, call.region)
            decrypt = _kms(call, "kms:Decrypt", key, arn) if key is not None else None
            if decrypt is not None:
                out.append(decrypt)
    return out


def _put(call: Call) -> list[Authorization]:
    arn = parameter_arn(call, call.param("Name"))
    out = [call.auth(arn)]
    if call.tag_context:
        out.append(call.auth(arn, "AddTagsToResource"))  # tags on create need ssm:AddTagsToResource
    if call.param("Type") == "SecureString":
        action = "kms:GenerateDataKey" if call.param("Tier") == "Advanced" else "kms:Encrypt"
        encrypt = _kms(call, action, call.param("KeyId"), arn)
        if encrypt is not None:
            out.append(encrypt)
    return out


def rules(call: Call) -> list[Authorization]:
    op = call.operation
    if op in _STAR:
        return [call.star()]
    if op == "PutParameter":
        return _put(call)
    if op in ("GetParameter", "GetParameterHistory"):
        return _read(call, [call.param("Name")])
    if op == "GetParameters":
        return _read(call, [as_str(n) for n in as_list(call.params.get("Names"))])
    if op in ("DeleteParameters",):
        return [call.auth(parameter_arn(call, as_str(n))) for n in as_list(call.params.get("Names"))]
    if op == "GetParametersByPath":
        return [call.auth(parameter_arn(call, call.param("Path")))]
    if op in ("AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource"):
        if call.param("ResourceType") == "Parameter":
            return [call.auth(parameter_arn(call, call.param("ResourceId")))]
        return [call.unknown()]
    if call.param("Name"):  # DeleteParameter, LabelParameterVersion, UnlabelParameterVersion
        return [call.auth(parameter_arn(call, call.param("Name")))]
    return [call.unknown()]
