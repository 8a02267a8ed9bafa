"""The broadcast seam on real PostgreSQL: a message published by one process reaches the others (never
itself), within a second; a LISTEN connection killed by the server comes back by itself and says that
messages may have been missed; what was published while the connection was away is still sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from alerthub.store import broadcast as seam
from alerthub.store.broadcast import Backoff, LocalBroadcast, PostgresBroadcast, Topic, broadcast_for
from alerthub.store.database import Database
from support.databases import skip_or_fail_without_postgres

WITHIN = 1.0  # the promise: a change reaches the other instances' pages within a second
QUICK = Backoff(first=0.05, most=0.2)


class Inbox:
    def __init__(self) -> None:
        self.messages: asyncio.Queue[str] = asyncio.Queue()
        self.gaps = 0

    def on_message(self, payload: str) -> None:
        self.messages.put_nowait(payload)

    def on_gap(self) -> None:
        self.gaps += 1

    async def next(self, timeout: float = WITHIN) -> str:
        return await asyncio.wait_for(self.messages.get(), timeout)


class Tracked:
    """The real connection function, keeping each connection opened so a test can kill its backend."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.opened: list[Any] = []
        self.attempts = 0

    async def __call__(self) -> Any:
        self.attempts += 1
        conn = await seam.dedicated_connection(self.db)
        self.opened.append(conn)
        return conn


@pytest.fixture
async def pg(postgres_session_url: str | None) -> AsyncIterator[Database]:
    if postgres_session_url is None:
        skip_or_fail_without_postgres()
    db = Database(postgres_session_url)
    yield db
    await db.dispose()


@contextlib.asynccontextmanager
async def running(*casts: PostgresBroadcast) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(c.run(stop)) for c in casts]
    try:
        for cast in casts:
            await asyncio.wait_for(cast.connected.wait(), 10)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)


def listening(db: Database, topic: Topic = Topic.ALERTS, **kwargs: Any) -> tuple[PostgresBroadcast, Inbox]:
    cast = PostgresBroadcast(db, backoff=QUICK, **kwargs)
    inbox = Inbox()
    cast.subscribe(topic, inbox.on_message, inbox.on_gap)
    return cast, inbox


async def terminate(db: Database, pid: int) -> None:
    admin = await seam.dedicated_connection(db)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


pytestmark = pytest.mark.postgres


async def test_a_message_reaches_the_other_process_and_not_its_own(pg: Database) -> None:
    a, a_inbox = listening(pg)
    b, b_inbox = listening(pg)
    async with running(a, b):
        a.publish(Topic.ALERTS, "17:new 18:state")
        assert await b_inbox.next() == "17:new 18:state"
        b.publish(Topic.ALERTS, "19:update")
        assert await a_inbox.next() == "19:update"
        await asyncio.sleep(0.3)
    assert a_inbox.messages.empty() and b_inbox.messages.empty(), "a process heard its own message"


async def test_topics_are_apart(pg: Database) -> None:
    a = PostgresBroadcast(pg, backoff=QUICK)
    b, alerts_inbox = listening(pg, Topic.ALERTS)
    reload_inbox = Inbox()
    b.subscribe(Topic.RELOAD, reload_inbox.on_message)
    async with running(a, b):
        a.publish(Topic.RELOAD, "now")
        assert await reload_inbox.next() == "now"
        a.publish(Topic.ALERTS, "1:new")
        assert await alerts_inbox.next() == "1:new"
    assert reload_inbox.messages.empty() and alerts_inbox.messages.empty()


async def test_a_terminated_listen_connection_comes_back_and_reports_the_gap(
    pg: Database, caplog: pytest.LogCaptureFixture
) -> None:
    a = PostgresBroadcast(pg, backoff=QUICK)
    connect = Tracked(pg)
    b, inbox = listening(pg, connect=connect)
    caplog.set_level(logging.INFO, logger="alerthub.store.broadcast")
    async with running(a, b):
        await terminate(pg, connect.opened[0].get_server_pid())
        await _until(lambda: len(connect.opened) == 2 and b.connected.is_set(), "no reconnect")
        assert inbox.gaps == 1, "pages were not told to resync after the gap"
        a.publish(Topic.ALERTS, "42:state")
        assert await inbox.next() == "42:state"
    messages = [r.getMessage() for r in caplog.records]
    assert any("broadcast connection lost" in m for m in messages), messages
    assert any("broadcast connection restored" in m for m in messages), messages


async def test_what_is_published_while_the_connection_is_away_is_sent_after(pg: Database) -> None:
    connect = Tracked(pg)
    a = PostgresBroadcast(pg, backoff=Backoff(first=0.5, most=0.5), connect=connect)
    b, inbox = listening(pg)
    async with running(a, b):
        await terminate(pg, connect.opened[0].get_server_pid())
        await _until(lambda: not a.connected.is_set(), "the publisher never noticed")
        a.publish(Topic.ALERTS, "7:state")
        assert await inbox.next(timeout=5) == "7:state"
        assert len(connect.opened) == 2


class SlowSends:
    """The real connection, but each NOTIFY takes a while to reach the server (a busy database)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.sending = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def execute(self, query: str, *args: Any) -> Any:
        self.sending.set()
        await asyncio.sleep(0.2)
        return await self._conn.execute(query, *args)


async def test_a_message_published_during_a_send_is_not_held_back(pg: Database) -> None:
    slow: list[SlowSends] = []

    async def connect() -> SlowSends:
        slow.append(SlowSends(await seam.dedicated_connection(pg)))
        return slow[-1]

    a = PostgresBroadcast(pg, backoff=QUICK, connect=connect)
    b, inbox = listening(pg)
    async with running(a, b):
        a.publish(Topic.ALERTS, "1:new")
        await asyncio.wait_for(slow[0].sending.wait(), 5)
        a.publish(Topic.ALERTS, "2:new")
        assert await inbox.next() == "1:new"
        assert await inbox.next() == "2:new"


async def test_the_server_away_at_start_is_waited_for_and_logged_once_a_while(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seam, "OUTAGE_LOG_EVERY", 0.3)
    away = Database("postgresql://postgres@127.0.0.1:9/nowhere")
    connect = Tracked(away)
    cast, _ = listening(away, connect=connect)
    stop = asyncio.Event()
    task = asyncio.create_task(cast.run(stop))
    await _until(lambda: connect.attempts >= 5, "no retry")
    stop.set()
    await asyncio.wait_for(task, 2)  # a stop ends the backoff at once
    assert not cast.connected.is_set()
    await away.dispose()
    messages = [r.getMessage() for r in caplog.records if r.name == "alerthub.store.broadcast"]
    assert sum("broadcast connection lost" in m for m in messages) == 1, messages
    assert any("broadcast connection still down after" in m for m in messages), messages


async def test_an_overflowing_queue_tells_the_others_to_resync(pg: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seam, "MAX_QUEUED", 3)
    a = PostgresBroadcast(pg, backoff=QUICK)
    b, inbox = listening(pg)
    async with running(b):
        for n in range(5):
            a.publish(Topic.ALERTS, f"{n}:new")  # not running yet: its messages queue up
        async with running(a):
            got = [await inbox.next() for _ in range(3)]
            await _until(lambda: inbox.gaps == 1, "the dropped messages went unmentioned")
    assert got == ["2:new", "3:new", "4:new"]


def test_a_payload_over_the_limit_is_refused(tmp_path: Path, pg: Database) -> None:
    for cast in (PostgresBroadcast(pg), broadcast_for(Database(f"sqlite:///{tmp_path / 'a.db'}"))):
        cast.publish(Topic.ALERTS, "x" * seam.MAX_PAYLOAD)
        with pytest.raises(ValueError, match="at most 7900"):
            cast.publish(Topic.ALERTS, "x" * (seam.MAX_PAYLOAD + 1))


def test_sqlite_has_nobody_else_to_tell(tmp_path: Path) -> None:
    assert type(broadcast_for(Database(f"sqlite:///{tmp_path / 'a.db'}"))) is LocalBroadcast


async def _until(condition: Any, what: str, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, what
        await asyncio.sleep(0.02)
