"""Several `alerthub serve` processes on one PostgreSQL database share the work; SIGKILL one under
steady load and nothing is lost: every acknowledged alert is stored, every notification arrives at the
(loopback) webhook receiver, and duplicates stay inside the documented crash window."""

from __future__ import annotations

import asyncio
import collections
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from alerthub.store.database import Database
from alerthub.store.tables import alert, notification
from support.processes import ServerProcess, running, write_config
from support.standins import Receiver, Reply, Request

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

LEASE = 3.0  # delivery.lease, shortened: the default is 60 s (docs/operations.md)
# A killed instance's claimed groups and outbox rows are free again after LEASE; the loops of the
# survivors look at least every second; the rest is margin for a loaded CI machine.
TAKEOVER_BOUND = LEASE + 12
# docs/operations.md, "crash window": a send that succeeded but whose `sent` mark the killed process
# never committed is sent again by the instance that takes the row over. A worker sends one message at
# a time per channel, so one channel loses at most one such message per killed instance.
CRASH_WINDOW = 1


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


def _config(database: str, receiver: Receiver) -> dict[str, Any]:
    return {
        "storage": {"url": database},
        "rules": [{"name": "load_test", "thresholds": {"critical": 1}}],
        "channels": [
            # Generous pacing so every notification is its own message (no digest) and countable.
            {"name": "hook", "type": "webhook", "url": receiver.base_url + "/hook", "rate_per_second": 1000,
             "burst": 1000},
        ],
        "receivers": [{"name": "ops", "channels": ["hook"]}],
        "route": {"receiver": "ops", "group_by": ["host"], "group_wait": "0s", "group_interval": "1s",
                  "repeat_interval": "24h"},
        "delivery": {"lease": f"{LEASE}s", "initial_backoff": "200ms", "max_backoff": "1s"},
    }  # fmt: skip


class Sender:
    """Steady load through a naive load balancer: round robin, and an instance that refuses the
    connection is skipped (the alert goes to the next one), as a health-checking balancer would."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.acknowledged: list[str] = []
        self.errors: collections.Counter[int] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                host = f"host-{n}"
                body = {"rule_name": "load_test", "metric_data": {"metric_value": 5}, "labels": {"host": host}}
                for attempt in range(len(self.urls)):
                    url = self.urls[(n + attempt) % len(self.urls)]
                    try:
                        answer = http.post(url + "/api/alerts/send", json=body)
                    except httpx.TransportError:
                        continue  # that instance is gone: try the next
                    if answer.status_code == 202:
                        self.acknowledged.append(host)
                    else:
                        self.errors[answer.status_code] += 1
                    break
                n += 1
                time.sleep(0.01)

    def __enter__(self) -> Sender:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} alerts acknowledged"
            time.sleep(0.05)


def _delivered(receiver: Receiver) -> tuple[dict[str, int], collections.Counter[str]]:
    """Messages per host, and how often each idempotency key arrived."""
    per_host: collections.Counter[str] = collections.Counter()
    keys: collections.Counter[str] = collections.Counter()
    with receiver.lock:
        requests = list(receiver.requests)
    for request in requests:
        keys[request.headers["Idempotency-Key"]] += 1
        for item in request.json()["alerts"]:
            per_host[item["labels"]["host"]] += 1
    return dict(per_host), keys


def _wait_delivered(receiver: Receiver, hosts: set[str], timeout: float, since: float | None = None) -> float:
    """Seconds from `since` (default: now) until every host had its message; fails past `timeout`."""
    started = time.monotonic() if since is None else since
    while True:
        missing = hosts - set(_delivered(receiver)[0])
        if not missing:
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, f"{len(missing)} never delivered, e.g. {sorted(missing)[:5]}"
        time.sleep(0.1)


def _store_summary(url: str) -> tuple[set[str], dict[str, int]]:
    async def run() -> tuple[set[str], dict[str, int]]:
        db = Database(url)
        try:
            async with db.read() as conn:
                hosts = {row.labels["host"] for row in (await conn.execute(select(alert.c.labels))).all()}
                statuses = select(notification.c.status, func.count()).group_by(notification.c.status)
                counts = {row[0]: row[1] for row in (await conn.execute(statuses)).all()}
        finally:
            await db.dispose()
        return hosts, counts

    return asyncio.run(run())


def test_sigkill_one_of_three_instances_under_load(database: str, receiver: Receiver, tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", _config(database, receiver))
    with ExitStack() as stack:
        servers = [stack.enter_context(running(ServerProcess(config, tmp_path, name=f"instance{i}"))) for i in range(3)]
        with Sender([s.url for s in servers]) as sender:
            sender.wait_for(100)
            servers[1].signal(signal.SIGKILL)
            servers[1].wait_exit(timeout=10)
            killed_at = time.monotonic()
            before_kill = set(sender.acknowledged)
            # Whatever the dead instance held is delivered by the others within the takeover bound.
            took = _wait_delivered(receiver, before_kill, TAKEOVER_BOUND, since=killed_at)
            sender.wait_for(len(sender.acknowledged) + 100)
        acknowledged = set(sender.acknowledged)
        _wait_delivered(receiver, acknowledged, TAKEOVER_BOUND)
        time.sleep(LEASE + 1)  # let any late re-send of a taken-over row arrive before counting
        logs = {s.log_path.name: s.log() for s in servers}

    assert sender.errors == collections.Counter(), f"answers other than 202: {sender.errors}"
    stored, statuses = _store_summary(database)
    assert acknowledged <= stored, f"acknowledged but not stored: {sorted(acknowledged - stored)[:5]}"
    assert statuses.get("pending", 0) == statuses.get("sending", 0) == statuses.get("failed", 0) == 0, statuses
    per_host, keys = _delivered(receiver)
    duplicates = sum(count - 1 for count in keys.values())
    assert duplicates <= CRASH_WINDOW, f"{duplicates} duplicate messages: {[k for k, c in keys.items() if c > 1]}"
    assert all(per_host[h] >= 1 for h in acknowledged)
    assert took <= TAKEOVER_BOUND
    for name, log in logs.items():
        assert "Exception in ASGI application" not in log, f"{name}:\n{log[-3000:]}"


def test_api_and_worker_roles_split_the_work(database: str, receiver: Receiver, tmp_path: Path) -> None:
    """The seed's alert-system and monitoring-service as roles: the api instance ingests, the worker delivers."""
    config = write_config(tmp_path / "alerthub.yaml", _config(database, receiver))
    with (
        running(ServerProcess(config, tmp_path, role="api", name="api")) as api,
        running(ServerProcess(config, tmp_path, role="worker", name="worker")) as worker,
    ):
        hosts = {f"split-{i}" for i in range(20)}
        for host in sorted(hosts):
            body = {"rule_name": "load_test", "metric_data": {"metric_value": 5}, "labels": {"host": host}}
            assert httpx.post(api.url + "/api/alerts/send", json=body, timeout=10).status_code == 202
        assert httpx.post(worker.url + "/api/alerts/send", json=body, timeout=10).status_code == 404
        _wait_delivered(receiver, hosts, timeout=15)
        worker_metrics = httpx.get(worker.url + "/metrics", timeout=5).text
    assert _delivered(receiver)[0] == dict.fromkeys(hosts, 1)
    assert "alerthub_background_errors_total" in worker_metrics


class HangingReceiver(Receiver):
    """Takes the first message and does not answer until released: that send is in flight, for as long
    as the test wants, while the instance sending it is killed."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def answer(self, request: Request) -> Reply:
        if len(self.requests) == 1:
            self.lock.release()  # let later requests in while this one hangs
            try:
                self.release.wait(timeout=30)
            finally:
                self.lock.acquire()
        return super().answer(request)


def _claims(url: str) -> list[tuple[str, str | None, int]]:
    async def run() -> list[tuple[str, str | None, int]]:
        db = Database(url)
        try:
            async with db.read() as conn:
                query = select(notification.c.status, notification.c.claimed_by, notification.c.attempts)
                return [(r.status, r.claimed_by, r.attempts) for r in (await conn.execute(query)).all()]
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_a_send_cut_by_sigkill_is_taken_over_with_the_same_idempotency_key(database: str, tmp_path: Path) -> None:
    """The crash window made visible: the killed instance's message reached the receiver but was never
    recorded as sent; after the lease a survivor sends it again, with the same Idempotency-Key."""
    receiver = HangingReceiver()
    config = write_config(tmp_path / "alerthub.yaml", _config(database, receiver))
    try:
        with ExitStack() as stack:
            servers = [stack.enter_context(running(ServerProcess(config, tmp_path, name=f"i{i}"))) for i in range(2)]
            body = {"rule_name": "load_test", "metric_data": {"metric_value": 5}, "labels": {"host": "cut-1"}}
            assert httpx.post(servers[0].url + "/api/alerts/send", json=body, timeout=10).status_code == 202
            _wait_for(lambda: len(receiver.requests) == 1, 10, "the first send never arrived")
            [(status, claimed_by, _)] = _claims(database)
            assert status == "sending" and claimed_by is not None
            holder = int(claimed_by.split(":")[-2])
            [sender] = [s for s in servers if s.process is not None and s.process.pid in (holder, _parent(holder))]
            sender.signal(signal.SIGKILL)
            sender.wait_exit(timeout=10)
            killed_at = time.monotonic()
            receiver.release.set()  # its answer now goes to a dead socket
            _wait_for(lambda: len(receiver.requests) == 2, TAKEOVER_BOUND, "the killed instance's send was lost")
            taken_over_after = time.monotonic() - killed_at
            time.sleep(1)  # and no third copy
    finally:
        receiver.close()
    first, second = receiver.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert len(receiver.requests) == 2
    assert LEASE - 1 <= taken_over_after <= TAKEOVER_BOUND
    [(status, _, attempts)] = _claims(database)
    assert (status, attempts) == ("sent", 2)


def _parent(pid: int) -> int:
    """The `serve` process of a worker process (`server.workers`: one per core on PostgreSQL)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
