"""What a database is sent while a block runs: its statements, on its writing and its reading connections
(SQLite reads on an engine of their own), and its commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from alerthub.store.database import Database

_WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements_sent(db: Database) -> Iterator[list[str]]:
    """Every statement sent while the block runs, in order (transaction control aside)."""
    sent: list[str] = []

    def cursor(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    # The reading engine too: credentials and sessions are read there.
    engines = {db.engine.sync_engine, db._reader.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", cursor)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", cursor)


@dataclass
class Counts:
    commits: int = 0
    sent: list[str] = field(default_factory=list)

    @property
    def statements(self) -> int:
        return len(self.sent)

    @property
    def writes(self) -> int:
        return len(writes_in(self.sent))


def writes_in(sent: list[str]) -> list[str]:
    """The statements among `sent` that change rows."""
    return [s for s in sent if s.lstrip().upper().startswith(_WRITES)]


@contextmanager
def counting(db: Database) -> Iterator[Counts]:
    """Count the commits and the statements (`statements_sent`) inside the block."""
    counts = Counts()
    engine = db.engine.sync_engine

    def on_commit(_conn: Any) -> None:
        counts.commits += 1

    event.listen(engine, "commit", on_commit)
    try:
        with statements_sent(db) as counts.sent:
            yield counts
    finally:
        event.remove(engine, "commit", on_commit)
