"""The sandbox's fixed account ids, overridable by an accounts file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

DEFAULT_ACCOUNTS: dict[str, str] = {
    "tooling": "111111111111",
    "dev": "222222222222",
    "staging": "333333333333",
    "prod": "444444444444",
}
ROLES = tuple(DEFAULT_ACCOUNTS)
_ACCOUNT_ID = re.compile(r"^\d{12}$")


class AccountsFileError(ValueError):
    """The accounts file is unreadable or names a bad account id."""


def load_accounts(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Return {role: account id}; `path` (or SANDBOX_ACCOUNTS_FILE) overrides the defaults.

    The file is JSON such as {"tooling": "999999999999"}; roles it leaves out keep their default.
    """
    path = path or os.environ.get("SANDBOX_ACCOUNTS_FILE") or None
    accounts = dict(DEFAULT_ACCOUNTS)
    if not path:
        return accounts
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise AccountsFileError(f"{path}: cannot read accounts file: {exc}") from exc
    if not isinstance(data, dict):
        raise AccountsFileError(f"{path}: expected an object of role -> 12-digit account id")
    for role, account_id in data.items():
        if role not in DEFAULT_ACCOUNTS:
            raise AccountsFileError(f"{path}: {role}: unknown role (allowed: {', '.join(ROLES)})")
        if not isinstance(account_id, str) or not _ACCOUNT_ID.match(account_id):
            raise AccountsFileError(f"{path}: {role}: {account_id!r} is not a 12-digit account id")
        accounts[role] = account_id
    if len(set(accounts.values())) != len(accounts):
        raise AccountsFileError(f"{path}: account ids must be distinct, got {accounts}")
    return accounts
