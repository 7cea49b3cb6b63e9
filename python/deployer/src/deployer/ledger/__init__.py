"""The deployment ledger of one model of the platform: history, per-stage marks and endpoint lease locks.

| module | unit |
|---|---|
| `models.py` | records (`Deployment`, `HistoryEntry`, `Mark`, `Lease`), `Outcome`, `Event`, `MarkKind`, exceptions |
| `facade.py` | `Ledger` (history.py, marks.py, lease.py) and the `dynamodb_ledger` factory |
| `store.py` | `LedgerStore`, the storage interface |
| `dynamodb.py` | `DynamoDBStore` (item layout: dynamodb_items.py; calls and error mapping: dynamodb_table.py) |
| `migrate.py` | `migrate_legacy`: a single-model ledger's items copied to a model's keys (`ledger-migrate`) |

Another store is one new module implementing `LedgerStore`; pass it to `Ledger(store, ...)` and export it here.
The package depends on nothing else in `deployer` but `deployer.aws_errors` and `deployer.env`.
"""

from deployer.ledger.dynamodb import DynamoDBStore
from deployer.ledger.dynamodb_table import DynamoDBClient
from deployer.ledger.facade import Ledger, dynamodb_ledger
from deployer.ledger.migrate import MigrationResult, migrate_legacy
from deployer.ledger.models import (
    Deployment,
    Event,
    HistoryEntry,
    Lease,
    LedgerAccessDenied,
    LedgerError,
    LedgerInputError,
    LedgerItemMalformed,
    LedgerTableNotFound,
    LockHeld,
    LockLost,
    Mark,
    MarkKind,
    Outcome,
)
from deployer.ledger.store import LedgerStore

__all__ = [
    "Deployment",
    "DynamoDBClient",
    "DynamoDBStore",
    "Event",
    "HistoryEntry",
    "Lease",
    "Ledger",
    "LedgerAccessDenied",
    "LedgerError",
    "LedgerInputError",
    "LedgerItemMalformed",
    "LedgerStore",
    "LedgerTableNotFound",
    "LockHeld",
    "LockLost",
    "Mark",
    "MarkKind",
    "MigrationResult",
    "Outcome",
    "dynamodb_ledger",
    "migrate_legacy",
]
