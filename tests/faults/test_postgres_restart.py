"""PostgreSQL goes away under load: ingest answers 503 + Retry-After (never 2xx for what it did not
store), recovers by itself when the database is back, and every alert answered 2xx is in the database."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from alerthub.store.database import Database
from alerthub.store.tables import alert
from support.databases import postgres_url, skip_or_fail_without_postgres
from support.private_postgres import PrivatePostgres, postgres_bin, private_postgres
from support.processes import ServerProcess, running, write_config

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

RECOVERY_BOUND = 15.0  # seconds from the database being back to the first 202 again


@dataclass(frozen=True)
class Answer:
    host: str
    status: int
    retry_after: str | None
    at: float


class Load:
    """Senders posting seed alerts, each about its own host, until stopped; every answer recorded."""

    def __init__(self, url: str, senders: int = 3) -> None:
        self.url = url
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(senders)]

    def _send(self, sender: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            n = 0
            while not self._stop.is_set():
                host = f"h{sender}-{n}"
                body = {"rule_name": "system_cpu_high", "metric_data": {"metric_value": 99}, "labels": {"host": host}}
                try:
                    response = http.post("/api/alerts/send", json=body)
                except httpx.HTTPError:
                    status, retry_after = 0, None  # no answer at all: nothing was promised
                else:
                    status, retry_after = response.status_code, response.headers.get("retry-after")
                with self._lock:
                    self.answers.append(Answer(host, status, retry_after, time.monotonic()))
                n += 1

    def wait_for(self, what: Callable[[Answer], bool], count: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                matching = [a for a in self.answers if what(a)]
            if len(matching) >= count:
                return matching[count - 1].at
            time.sleep(0.05)
        raise AssertionError(f"not {count} matching answers within {timeout}s; last: {self.answers[-5:]}")

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=40)


@pytest.fixture
def database() -> Iterator[PrivatePostgres]:
    if postgres_url() is None:
        skip_or_fail_without_postgres()
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) to start a private server")
    with private_postgres(bindir) as server:
        yield server


def _stored_hosts(url: str) -> set[str]:
    async def run() -> set[str]:
        db = Database(url)
        try:
            async with db.read() as conn:
                rows = (await conn.execute(select(alert.c.labels))).all()
        finally:
            await db.dispose()
        return {row.labels["host"] for row in rows}

    return asyncio.run(run())


def test_database_restart_under_load(database: PrivatePostgres, tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": database.url}})
    with running(ServerProcess(config, tmp_path)) as server, Load(server.url) as load:
        load.wait_for(lambda a: a.status == 202, 30, timeout=20)
        database.stop("immediate")
        stopped = time.monotonic()
        load.wait_for(lambda a: a.at > stopped + 0.5 and a.status == 503, 10, timeout=15)
        restarting = time.monotonic()
        database.start()  # returns once the server accepts connections
        back = time.monotonic()
        recovered = load.wait_for(lambda a: a.at > back and a.status == 202, 1, timeout=RECOVERY_BOUND)
        load.wait_for(lambda a: a.at > back and a.status == 202, 30, timeout=RECOVERY_BOUND)
        health = httpx.get(server.url + "/readyz", timeout=5).status_code
        log = server.log()
        alive = server.process is not None and server.process.poll() is None

    answers = load.answers
    assert alive, "the server died instead of riding out the outage"
    assert health == 200
    assert recovered - back <= RECOVERY_BOUND
    unexpected = {a.status for a in answers} - {202, 503}
    assert not unexpected, f"answers other than 202/503 during the outage: {unexpected}\n{log[-3000:]}"
    unavailable = [a for a in answers if a.status == 503]
    assert unavailable and all(a.retry_after and a.retry_after.isdigit() for a in unavailable)
    # While the database was away (after in-flight requests settled) nothing was answered 2xx.
    assert not [a for a in answers if stopped + 0.5 < a.at < restarting and a.status == 202]
    accepted = {a.host for a in answers if a.status == 202}
    missing = accepted - _stored_hosts(database.url)
    assert not missing, f"{len(missing)} alerts answered 202 are not in the database: {sorted(missing)[:10]}"
    assert "Exception in ASGI application" not in log, log[-3000:]
