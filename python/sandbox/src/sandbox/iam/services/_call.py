"""What every service rule works with: one decoded request, ARN helpers, and Authorization builders."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.iam.model import Authorization

if TYPE_CHECKING:
    from sandbox.iam.requests import Resolver

Ctx = dict[str, tuple[str, ...]]
Rule = Callable[["Call"], list[Authorization]]

_TAG_KEY_FIELDS = ("Key", "key", "TagKey")
_TAG_VALUE_FIELDS = ("Value", "value", "TagValue")


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def is_arn(value: str) -> bool:
    return value.startswith("arn:") and value.count(":") >= 5


def arn_account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def arn_region(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 else ""


def arn_resource(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else ""


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def tags_of(value: Any) -> dict[str, str] | None:
    """Tags in any shape AWS APIs use: {k: v}, [{Key, Value}], [{key, value}], [{TagKey, TagValue}]."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if not isinstance(value, list | tuple):
        return None
    tags: dict[str, str] = {}
    for item in value:
        if not isinstance(item, Mapping):
            continue
        key = next((item[f] for f in _TAG_KEY_FIELDS if f in item), None)
        if key is not None:
            tags[str(key)] = str(next((item[f] for f in _TAG_VALUE_FIELDS if f in item), ""))
    return tags


def request_tag_context(params: Mapping[str, Any]) -> Ctx:
    """aws:RequestTag/<k> and aws:TagKeys from a Tags parameter, or aws:TagKeys from a TagKeys one."""
    ctx: Ctx = {}
    for name in ("Tags", "tags", "Tag", "TagList"):
        tags = tags_of(params.get(name))
        if tags:
            for key, value in tags.items():
                ctx[f"aws:requesttag/{key.lower()}"] = (value,)
            ctx["aws:tagkeys"] = tuple(tags)
            return ctx
    keys = params.get("TagKeys", params.get("tagKeys"))
    if isinstance(keys, list | tuple) and keys:
        ctx["aws:tagkeys"] = tuple(str(k) for k in keys)
    return ctx


@dataclass
class Call:
    """One request being decided: its operation, parameters (botocore member names) and where it runs."""

    service: str  # botocore service name
    prefix: str  # IAM service prefix
    operation: str
    params: Mapping[str, Any]
    region: str
    account: str
    resolver: Resolver
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    body: bytes = b""
    exact: bool = True
    _tag_ctx: Ctx | None = None

    @property
    def action(self) -> str:
        return f"{self.prefix}:{self.operation}"

    def param(self, name: str) -> str:
        return as_str(self.params.get(name))

    @property
    def tag_context(self) -> Ctx:
        if self._tag_ctx is None:
            self._tag_ctx = request_tag_context(self.params)
        return self._tag_ctx

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """arn:<partition>:<service>:<region>:<account>:<resource>, defaulting to the caller's region and account."""
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{partition(self.region)}:{service}:{region}:{account}:{resource}"

    def auth(
        self,
        resource: str,
        action: str | None = None,
        *,
        context: Mapping[str, Sequence[str]] | None = None,
        account: str | None = None,
        tags: bool = True,
    ) -> Authorization:
        """An Authorization of this call (the request's own action unless `action` names another).

        `action` without a colon is taken in this call's prefix. Request tags go on the request's own action
        and on tagging actions (`tags=False` keeps them off a dependent action such as iam:PassRole).
        """
        if action is None:
            action = self.action
        elif ":" not in action:
            action = f"{self.prefix}:{action}"
        ctx: Ctx = {}
        if tags:
            ctx.update(self.tag_context)
        if context:
            ctx.update({k: tuple(v) for k, v in context.items()})
        if account is None:
            owner = arn_account(resource) if is_arn(resource) else ""
            # AWS-owned ARNs ("arn:aws:iam::aws:policy/...") belong to no account: the caller's own rules apply.
            account = owner if owner.isdigit() else self.account
        return Authorization(action, resource, account, ctx)

    def star(self, action: str | None = None, *, context: Mapping[str, Sequence[str]] | None = None) -> Authorization:
        """An action without resource-level permissions: "*" is what AWS checks, so the answer stays exact."""
        return self.auth("*", action, context=context)

    def unknown(self, action: str | None = None) -> Authorization:
        """The resource could not be derived: "*", and the parse is marked inexact."""
        self.exact = False
        return self.auth("*", action)

    def role_arn(self, role: str) -> str:
        """A role ARN from an ARN or a bare name (in the caller's account; a name carries no path)."""
        return role if is_arn(role) else f"arn:{partition(self.region)}:iam::{self.account}:role/{role}"

    def pass_role(self, role: str, service_principal: str, associated: str = "") -> Authorization:
        """iam:PassRole of `role` (ARN or name) to a service: what any API that hands a role to AWS needs."""
        arn = self.role_arn(role)
        ctx: Ctx = {"iam:passedtoservice": (service_principal,)}
        if associated:
            ctx["iam:associatedresourcearn"] = (associated,)
        return self.auth(arn, "iam:PassRole", context=ctx, tags=False)


def first_present(call: Call, names: Sequence[str]) -> tuple[str, str] | None:
    """The first of `names` that the request carries as a non-empty string: (name, value)."""
    for name in names:
        value = call.params.get(name)
        if isinstance(value, str) and value:
            return name, value
    return None


def dispatch(call: Call, rules: Mapping[str, Rule], fallback: Rule) -> list[Authorization]:
    rule = rules.get(call.operation)
    return rule(call) if rule is not None else fallback(call)
