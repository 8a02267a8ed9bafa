from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from alerthub.store.database import Database


@dataclass
class Counts:
    commits: int = 0
    statements: int = 0
    writes: int = 0


@contextmanager
def counting(db: Database) -> Iterator[Counts]:
    """Count commits and statements the engine runs inside the block."""
    counts = Counts()
    engine = db.engine.sync_engine

    def on_commit(_conn: Any) -> None:
        counts.commits += 1

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts.statements += 1
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            counts.writes += 1

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield counts
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_execute)
