from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import AlertChange

# Runs inside the transaction that saves the changes: the pipeline's enqueue stage writes its
# outbox rows here, so a notification exists exactly when the state change that caused it does.
InTransactionHook = Callable[[AsyncConnection, Sequence[AlertChange], datetime], Awaitable[None]]

# Runs after the commit (wake the dispatcher, push to live pages). Must not raise or block.
AfterCommitHook = Callable[[Sequence[AlertChange]], None]


class Hooks:
    def __init__(self) -> None:
        self.in_transaction: list[InTransactionHook] = []
        self.after_commit: list[AfterCommitHook] = []

    async def run_in_transaction(self, conn: AsyncConnection, changes: Sequence[AlertChange], now: datetime) -> None:
        for hook in self.in_transaction:
            await hook(conn, changes, now)

    def run_after_commit(self, changes: Sequence[AlertChange]) -> None:
        if not changes:
            return
        for hook in self.after_commit:
            hook(changes)
