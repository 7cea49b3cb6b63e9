"""Default credentials land in the tooling account instead of moto's 123456789012."""

from __future__ import annotations

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam import models as iam_models

from sandbox.accounts import load_accounts
from sandbox.ext import _patch


def apply() -> None:
    tooling = load_accounts()["tooling"]
    original = _patch.current(iam_models, "get_account_id_from")

    def get_account_id_from(access_key: str) -> str:
        account_id = original(access_key)
        return tooling if account_id == DEFAULT_ACCOUNT_ID else account_id

    # moto.core.responses imports this name at call time, so patching the module suffices.
    _patch.replace(iam_models, "get_account_id_from", get_account_id_from)
