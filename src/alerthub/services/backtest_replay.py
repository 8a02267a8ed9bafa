"""One configuration's replay of the signal log, start to end: a throwaway SQLite database in `workdir`
with the silences and schedule overrides the hub had, the boxes the composition root builds for the
configuration (`build`), the log read back in arrival order and handed to services/replay.py, and the
outbox counted (services/backtest_tally.py).

The replay starts `WARM_UP` before the span, as far as the log goes, so alerts already firing when the
span starts are known to it; only what is written inside the span is counted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

from alerthub.config.models import Config
from alerthub.domain.clock import Clock
from alerthub.domain.signal_log import LoggedSignal
from alerthub.services.backtest_tally import Outcome, tally
from alerthub.services.replay import Boxes, Replay, SimulatedClock
from alerthub.store import outbox_tally, overrides, signal_log, silences
from alerthub.store.database import Database
from alerthub.store.migrate import upgrade

HubFactory = Callable[[Config, Clock, Database], Boxes]
Progress = Callable[[int], None]  # how many more logged signals were replayed

WARM_UP = timedelta(days=1)
_PAGE = 5000  # logged signals read at a time
_SILENCES = 100_000


async def replay_configuration(
    source: Database,
    build: HubFactory,
    workdir: Path,
    config: Config,
    span: tuple[datetime, datetime],
    progress: Progress,
) -> Outcome:
    """What `config` would have written to the outbox in `span` (since, until); `source` is the hub's
    database, read and never written."""
    since, until = span
    start = since - WARM_UP
    db = Database(f"sqlite:///{workdir / 'replay.db'}")
    try:
        await upgrade(db)
        await _copy_state(source, db, start)
        clock = SimulatedClock(start)
        replay = Replay(build(config, clock, db), clock, counted_from=since)
        async for received_at, batch in _batches(source, start, until):
            await replay.take(received_at, batch)
            progress(len(batch))
        await replay.run_timers(until=until)
        async with db.read() as conn:
            written = await outbox_tally.written(conn)
    finally:
        await db.dispose()
    return tally((w for w in written if since <= w.created_at < until), config, replay.unknown)


async def _copy_state(source: Database, target: Database, start: datetime) -> None:
    """What people set at run time that the pipeline reads: silences and schedule overrides (who is paged)."""
    async with source.read() as conn:
        muting = [s for s in await silences.list_all(conn, limit=_SILENCES) if s.ends_at > start]
        standing_in = await overrides.not_ended(conn, start)
    async with target.write() as conn:
        for s in muting:
            await silences.add(conn, s)
        for o in standing_in:
            await overrides.add(conn, o.schedule, o.person, (o.starts_at, o.ends_at), o.created_by, o.created_at)


async def _batches(
    source: Database, since: datetime, until: datetime
) -> AsyncIterator[tuple[datetime, list[LoggedSignal]]]:
    """The log in arrival order, one list per ingest transaction it was written by."""
    after: signal_log.Position | None = None
    batch: list[LoggedSignal] = []
    while True:
        async with source.read() as conn:
            page, after = await signal_log.page(conn, since, until, after, _PAGE)
        for logged in page:
            if batch and logged.received_at != batch[0].received_at:
                yield batch[0].received_at, batch
                batch = []
            batch.append(logged)
        if after is None:
            break
    if batch:
        yield batch[0].received_at, batch
