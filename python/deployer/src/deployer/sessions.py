"""One boto3 Session per account (role), built from STS AssumeRole with refreshable credentials.

A rollout with long bakes can outlast the one-hour session of an assumed role, so credentials are
botocore DeferredRefreshableCredentials: assumed on first use, refreshed by botocore before they expire.
Every client gets an explicit region and standard-mode retries (throttling and 5xx back off and retry).
An answer of ExpiredToken (an expiry that botocore's clock did not foresee: skew, a revoked session) marks the
role's credentials stale, so the next call assumes the role again; the caller decides whether to try again.

Nothing happens before it is needed: a session is made when its first client is, a client on its first use, a
role is assumed on its first call; an assumed role's account and ARN come from its AssumeRole answer (no
GetCallerIdentity), and every session parses the service models with one shared loader.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from deployer import env
from deployer.aws_errors import EXPIRED_TOKEN_CODES, error_message, is_access_denied, is_transient
from deployer.errors import AccessDeniedError, DeployerError, TransientError

log = logging.getLogger(__name__)

Client = Any  # boto3 clients are generated at runtime; the project does not depend on boto3-stubs.

SESSION_DURATION_SECONDS = 3600
_ROLE_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/")
_SESSION_NAME_BAD = re.compile(r"[^\w+=,.@-]")


def role_session_name(stage: str, build_id: str | None = None) -> str:
    """`deployer-<stage>-<CodeBuild build id tail | local>`, at most 64 characters of [\\w+=,.@-]."""
    build_id = build_id if build_id is not None else env.build_id()
    tail = build_id.rsplit(":", 1)[-1] if build_id else "local"
    name = _SESSION_NAME_BAD.sub("-", f"deployer-{stage}-{tail}")
    return name[:64]


def role_account(role_arn: str) -> str:
    match = _ROLE_ACCOUNT.match(role_arn)
    return match.group(1) if match else ""


def role_label(role_arn: str) -> str:
    return role_arn or "current credentials"


_LOADER: botocore.loaders.Loader | None = None
_LOADER_LOCK = threading.Lock()


def shared_loader() -> botocore.loaders.Loader:
    """One botocore data loader per process: service models are parsed once, whatever the number of sessions."""
    global _LOADER
    with _LOADER_LOCK:
        if _LOADER is None:
            _LOADER = botocore.loaders.create_loader()
        return _LOADER


def new_base_session(region: str | None = None) -> boto3.Session:
    """A session with the current credentials (as `boto3.Session(region_name=region)`) on the shared loader."""
    core = botocore.session.Session()
    core.register_component("data_loader", shared_loader())
    return boto3.Session(botocore_session=core, region_name=region)


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else ""


class _ExpirableCredentials(DeferredRefreshableCredentials):  # type: ignore[misc]
    """Deferred refreshable credentials that can also be declared expired (AWS said so before their time)."""

    def __init__(self, refresh_using: Callable[[], dict[str, str]], method: str) -> None:
        self._fetch = refresh_using
        self._stale = False
        super().__init__(refresh_using=self._fetch_fresh, method=method)

    def mark_expired(self) -> None:
        self._stale = True

    def refresh_needed(self, refresh_in: int | None = None) -> bool:
        return self._stale or bool(super().refresh_needed(refresh_in))

    def _fetch_fresh(self) -> dict[str, str]:
        fresh = self._fetch()
        self._stale = False  # only once the role was assumed again: a failed refresh is tried on the next call
        return fresh


class _AssumeRoleProvider(CredentialProvider):  # type: ignore[misc]
    """Credential provider that hands botocore deferred, self-refreshing AssumeRole credentials."""

    METHOD = "deployer-assume-role"
    CANONICAL_NAME = "deployer-assume-role"

    def __init__(self, sts: Client, role_arn: str, session_name: str) -> None:
        super().__init__()
        self._sts = sts
        self._role_arn = role_arn
        self._session_name = session_name
        self.credentials: _ExpirableCredentials | None = None
        self.assumed_arn = ""  # the AssumedRoleUser of the last answer: the caller ARN of this role's calls

    def _refresh(self) -> dict[str, str]:
        log.debug("assuming %s as %s", self._role_arn, self._session_name)
        try:
            answer = self._sts.assume_role(
                RoleArn=self._role_arn, RoleSessionName=self._session_name, DurationSeconds=SESSION_DURATION_SECONDS
            )
        except ClientError as exc:
            if is_access_denied(exc):
                raise AccessDeniedError(
                    role_account(self._role_arn), self._role_arn, "sts:AssumeRole", error_message(exc)
                ) from exc
            failure = TransientError if is_transient(exc) else DeployerError
            raise failure(f"sts:AssumeRole of {self._role_arn} failed: {error_message(exc)}") from exc
        except BotoCoreError as exc:
            if is_transient(exc):
                raise TransientError(f"sts:AssumeRole of {self._role_arn} failed: {exc}") from exc
            raise
        self.assumed_arn = str((answer.get("AssumedRoleUser") or {}).get("Arn", ""))
        creds = answer["Credentials"]
        expiration = creds["Expiration"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiration.isoformat() if hasattr(expiration, "isoformat") else str(expiration),
        }

    def load(self) -> DeferredRefreshableCredentials:
        self.credentials = _ExpirableCredentials(self._refresh, self.METHOD)
        return self.credentials

    def on_answer(self, parsed: dict[str, Any], **_: Any) -> None:
        """botocore `after-call` handler: an expired token makes the next call assume the role again."""
        code = str((parsed.get("Error") or {}).get("Code", ""))
        if code in EXPIRED_TOKEN_CODES and self.credentials is not None:
            log.warning("the session of %s expired early (%s); assuming the role again", self._role_arn, code)
            self.credentials.mark_expired()


class AccountSessions:
    """Sessions and clients per (role, region), each created once and reused for the whole run.

    An empty role ARN means the current credentials (the base session): the CodeBuild role, or whatever
    the environment provides locally.
    """

    def __init__(
        self,
        stage: str,
        base_session: boto3.Session | None = None,
        *,
        build_id: str | None = None,
        max_attempts: int | None = None,
    ) -> None:
        self.stage = stage
        self.base = base_session or new_base_session()
        self.session_name = role_session_name(stage, build_id)
        self.max_attempts = max_attempts or env.max_attempts()
        self._sessions: dict[tuple[str, str], boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], Client] = {}
        self._accounts: dict[tuple[str, str], str] = {}
        self._arns: dict[tuple[str, str], str] = {}
        self._providers: dict[tuple[str, str], _AssumeRoleProvider] = {}
        self._loader = shared_loader()  # service models are read once per process, for every role session
        # `status` reads several accounts from threads: creating sessions and clients is not thread-safe in
        # boto3, calls on a created client are.
        self._lock = threading.RLock()

    def config(self, region: str) -> Config:
        return Config(
            region_name=region,
            retries={"mode": "standard", "max_attempts": self.max_attempts},
            user_agent_extra="mlops-deployer",
        )

    def session(self, role_arn: str, region: str) -> boto3.Session:
        with self._lock:
            return self._session(role_arn, region)

    def _session(self, role_arn: str, region: str) -> boto3.Session:
        key = (role_arn, region)
        if key not in self._sessions:
            if not role_arn:
                self._sessions[key] = self.base  # clients always get an explicit region
            else:
                sts = self._client("sts", "", region)  # one STS client of the current credentials per region
                core = botocore.session.Session()
                core.register_component("data_loader", self._loader)
                provider = _AssumeRoleProvider(sts, role_arn, self.session_name)
                core.register_component("credential_provider", CredentialResolver(providers=[provider]))
                self._providers[key] = provider
                self._sessions[key] = boto3.Session(botocore_session=core, region_name=region)
        return self._sessions[key]

    def client(self, service: str, role_arn: str, region: str) -> Client:
        with self._lock:
            return self._client(service, role_arn, region)

    def _client(self, service: str, role_arn: str, region: str) -> Client:
        key = (service, role_arn, region)
        if key not in self._clients:
            session = self._session(role_arn, region)
            client = session.client(service, region_name=region, config=self.config(region))
            provider = self._providers.get((role_arn, region))
            if provider is not None:  # the current credentials refresh themselves (botocore's providers)
                client.meta.events.register("after-call", provider.on_answer)
            self._clients[key] = client
        return self._clients[key]

    def identity(self, role_arn: str, region: str) -> tuple[str, str]:
        """(account, caller ARN) of the role (or current credentials); proves the role can be assumed."""
        key = (role_arn, region)
        with self._lock:
            return self._identity(key)

    def _identity(self, key: tuple[str, str]) -> tuple[str, str]:
        role_arn, region = key
        if key not in self._accounts and role_arn and self._assumed(key):
            arn = self._providers[key].assumed_arn
            self._accounts[key], self._arns[key] = _account_of(arn), arn
        if key not in self._accounts:
            sts = self.client("sts", role_arn, region)
            try:
                answer = sts.get_caller_identity()
            except ClientError as exc:
                if is_access_denied(exc):
                    raise AccessDeniedError(
                        role_account(role_arn), role_label(role_arn), "sts:GetCallerIdentity", error_message(exc)
                    ) from exc
                raise DeployerError(f"sts:GetCallerIdentity as {role_label(role_arn)} failed: {exc}") from exc
            except BotoCoreError as exc:
                raise AccessDeniedError(
                    role_account(role_arn), role_label(role_arn), "sts:GetCallerIdentity", str(exc)
                ) from exc
            self._accounts[key] = str(answer["Account"])
            self._arns[key] = str(answer.get("Arn", ""))
        return self._accounts[key], self._arns[key]

    def _assumed(self, key: tuple[str, str]) -> bool:
        """Assume the role now (unless its credentials are live) and say whether the answer named the account."""
        role_arn, _ = key
        credentials = self._session(*key).get_credentials()
        try:
            credentials.get_frozen_credentials()  # AssumeRole on first use; its errors are the provider's
        except BotoCoreError as exc:
            raise AccessDeniedError(role_account(role_arn), role_label(role_arn), "sts:AssumeRole", str(exc)) from exc
        provider = self._providers.get(key)
        return provider is not None and bool(_account_of(provider.assumed_arn))

    def account_id(self, role_arn: str, region: str) -> str:
        """The account the role (or current credentials) lands in; proves the role can be assumed."""
        return self.identity(role_arn, region)[0]

    def caller_arn(self, role_arn: str, region: str) -> str:
        return self.identity(role_arn, region)[1]
