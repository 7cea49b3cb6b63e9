"""`Ledger`: the deployment ledger of one model, over a `LedgerStore`.

The facade validates input, stamps every record with the time (from an injectable clock), the caller and the
build, and leaves keeping it to the store. Its methods come in three units: `HistoryRecords` (history.py),
`MarkRecords` (marks.py) and `EndpointLeases` (lease.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from deployer import env
from deployer.ledger.dynamodb import DynamoDBStore
from deployer.ledger.dynamodb_table import DynamoDBClient
from deployer.ledger.history import Author, HistoryRecords
from deployer.ledger.lease import EndpointLeases
from deployer.ledger.marks import MarkRecords
from deployer.ledger.models import CallerArn, HistoryEntry, Mark, caller_of, check_stage
from deployer.ledger.store import LedgerStore


class Ledger(HistoryRecords, MarkRecords, EndpointLeases):
    """History, marks and endpoint leases, kept in `store`.

    `build_id` defaults to the CI build (`CODEBUILD_BUILD_ID`); `clock` (epoch seconds) and `sleep` are
    injectable so that tests move time themselves.
    """

    def __init__(
        self,
        store: LedgerStore,
        *,
        caller_arn: CallerArn = "",
        build_id: str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.author = Author(caller_of(caller_arn), env.build_id() if build_id is None else build_id, clock)
        self._sleep = sleep

    def stage_records(self, stage: str, history_limit: int = 50) -> tuple[list[Mark], list[HistoryEntry]]:
        """The stage's marks and its newest `history_limit` history entries: one read where the store can
        (`DynamoDBStore.stage_records`), else `marks(stage)` and `history(stage)`."""
        check_stage(stage)
        together = getattr(self.store, "stage_records", None)
        if together is not None:
            marks, history = together(stage, history_limit)
            return list(marks), list(history)
        return self.marks(stage), self.history(stage, limit=history_limit)

    @property
    def caller_arn(self) -> str:
        return self.author.caller_arn

    @property
    def build_id(self) -> str:
        return self.author.build_id


def dynamodb_ledger(
    client: DynamoDBClient,
    table_name: str,
    *,
    model: str,
    caller_arn: CallerArn = "",
    build_id: str | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Ledger:
    """`model`'s ledger in the platform's DynamoDB table `table_name`; the client must reach its account (the
    registry role). `caller_arn` may be a function: it is called once, when a record or a refusal names the
    caller."""
    caller = caller_of(caller_arn)
    store = DynamoDBStore(table_name, model=model, client=client, caller_arn=caller)
    return Ledger(store, caller_arn=caller, build_id=build_id, clock=clock, sleep=sleep)
