"""CodeStar Connections and CodeConnections (one service under two prefixes).

Connections are `arn:...:<codestar-connections|codeconnections>:<region>:<account>:connection/<id>`.
CreateConnection and ListConnections have no resource (`*`); CreateConnection carries
`<prefix>:ProviderType` and the request tags. CodePipeline's use of a connection (UseConnection, checked as
the pipeline role when a source action runs) and passing one to a pipeline (PassConnection, with
CreatePipeline/UpdatePipeline) are decided elsewhere: `sandbox.ext._pipeline_access` and `devtools`.
"""

from __future__ import annotations

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, first_present


def rules(call: Call) -> list[Authorization]:
    if call.operation == "CreateConnection":
        provider = call.param("ProviderType")
        context = {f"{call.prefix}:providertype": (provider,)} if provider else None
        return [call.star(context=context)]
    found = first_present(call, ("ConnectionArn", "ResourceArn"))
    if found is not None:
        return [call.auth(found[1])]
    return [call.star()] if call.operation.startswith("List") else [call.unknown()]


def connection_prefix(arn: str) -> str:
    """The IAM prefix of a connection ARN's own service."""
    return "codeconnections" if arn.split(":")[2:3] == ["codeconnections"] else "codestar-connections"
