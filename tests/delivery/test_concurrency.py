"""A webhook channel sends its due rows side by side (up to `IN_FLIGHT` at once, within its budget),
records their outcomes in batches (tests/delivery/test_lanes.py), and a conversation keeps its order:
a resolution never overtakes the message it follows. Real HTTP receiver, both databases."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from pydantic import SecretStr

from alerthub.channels import build_channel
from alerthub.channels.webhook import WebhookChannel
from alerthub.config.models import Config
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.notification import NotificationStatus
from alerthub.hub import Hub
from support.clock import FakeClock
from support.outbox_rows import add_alert, delivery_events, enqueue, payload, rows
from support.standins import Receiver

WIDTH = WebhookChannel.in_flight


class GatedReceiver(Receiver):
    """Holds every request until `gate` requests are open at once (or a second has passed), and
    remembers the most that were ever open together (a serial sender never gets past one) and, by
    Idempotency-Key, the order requests came in and which were open when each arrived."""

    def __init__(self, gate: int, hold: dict[str, float] | None = None) -> None:
        super().__init__()
        # http.server listens with a backlog of 5; a real receiver takes more connections than that.
        self.server.socket.listen(64)
        self.gate = gate
        self.hold = hold or {}  # seconds to keep a request (by key) open before answering
        self.open: list[str] = []
        self.most_open = 0
        self.arrivals: list[tuple[str, list[str]]] = []  # (key, keys open at that moment)
        self.cond = threading.Condition()

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        key = handler.headers.get("Idempotency-Key", "")
        with self.cond:
            self.arrivals.append((key, list(self.open)))
            self.open.append(key)
            self.most_open = max(self.most_open, len(self.open))
            self.cond.notify_all()
            self.cond.wait_for(lambda: len(self.open) >= self.gate, timeout=1.0)
        time.sleep(self.hold.get(key, 0.0))
        try:
            super()._serve(handler, method)
        finally:
            with self.cond:
                self.open.remove(key)


@pytest.fixture
def receiver() -> Iterator[GatedReceiver]:
    server = GatedReceiver(gate=WIDTH)
    yield server
    server.close()


@pytest.fixture
def config(receiver: GatedReceiver) -> Config:
    return Config.model_validate(
        {
            "server": {"public_url": "http://hub.test"},
            "channels": [
                {
                    "name": "hook",
                    "type": "webhook",
                    "url": f"{receiver.base_url}/hook",
                    "rate_per_second": 1000,
                    "burst": 1000,
                }
            ],
            "receivers": [{"name": "default", "channels": ["hook"]}],
            "route": {},
            "delivery": {"max_attempts": 4, "initial_backoff": "2s", "max_backoff": "1m"},
        }
    )


async def _enqueue_groups(hub: Hub, clock: FakeClock, count: int) -> dict[int, int]:
    """`count` rows, each of its own group and alert; notification id -> alert id."""
    ids = {}
    for i in range(count):
        alert = await add_alert(hub.db, clock(), labels={"host": f"h{i}"})
        ids[await enqueue(hub.db, clock(), "hook", replace(payload(alert), group_key=f"g{i}"))] = alert.id
    return ids


async def test_rows_go_out_side_by_side_each_once(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, receiver: GatedReceiver, http: httpx.AsyncClient
) -> None:
    ids = await _enqueue_groups(hub, clock, WIDTH + 8)
    assert await worker.tick(http) == WIDTH + 8
    assert receiver.most_open == WIDTH  # never more than IN_FLIGHT at once, and that many together
    sent = [r for r in await rows(hub.db) if r.id in ids]
    assert all(r.status is NotificationStatus.SENT and r.attempts == 1 for r in sent) and len(sent) == len(ids)
    assert len(receiver.requests) == len(ids)  # each once
    for row_id, alert_id in ids.items():
        [event] = await delivery_events(hub.db, alert_id)
        assert event["reason"] == "attempt 1 to hook: sent" and event["detail"]["notification_id"] == row_id
    assert hub.metrics.registry.get_sample_value(
        "alerthub_notifications_total", {"channel": "hook", "status": "sent"}
    ) == len(ids)


async def test_a_budget_smaller_than_the_wave_is_not_exceeded(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, receiver: GatedReceiver, http: httpx.AsyncClient
) -> None:
    worker.configs["hook"] = worker.configs["hook"].model_copy(update={"rate_per_second": 1.0, "burst": 4})
    await _enqueue_groups(hub, clock, 3)
    await worker.tick(http)
    assert receiver.most_open == 3 and len(receiver.requests) == 3
    await _enqueue_groups(hub, clock, 6)
    await worker.tick(http)
    # One token left: one send, carrying a digest of the six.
    assert len(receiver.requests) == 4 and receiver.requests[-1].json()["status"] == "firing"
    assert sum(1 for r in await rows(hub.db) if r.kind == "digest") == 1


@pytest.fixture
def ordered() -> Iterator[GatedReceiver]:
    # The first message of conversation g is answered slowly: a follow-up sent alongside would
    # arrive while it is still open.
    server = GatedReceiver(gate=1, hold={"fire-g": 0.3})
    yield server
    server.close()


async def test_a_resolution_never_overtakes_the_message_it_follows(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, ordered: GatedReceiver, http: httpx.AsyncClient
) -> None:
    worker.channels["hook"] = build_channel(
        worker.configs["hook"].model_copy(update={"url": SecretStr(f"{ordered.base_url}/hook")})
    )
    alert = await add_alert(hub.db, clock())
    done = payload(replace(alert, state="resolved"), status="resolved", reason="all alerts resolved")
    await enqueue(hub.db, clock(), "hook", replace(payload(alert), group_key="g"), thread_key="hook:g", key="fire-g")
    await _enqueue_groups(hub, clock, 3)
    await enqueue(hub.db, clock(), "hook", replace(done, group_key="g"), thread_key="hook:g", key="resolve-g")
    await worker.tick(http)
    keys = [key for key, _ in ordered.arrivals]
    assert len(keys) == 5 and keys.index("fire-g") < keys.index("resolve-g")
    [(_, open_then)] = [a for a in ordered.arrivals if a[0] == "resolve-g"]
    assert "fire-g" not in open_then  # sent only after the first message was answered and recorded
    assert ordered.most_open >= 2  # the other groups did go out alongside the first message
    assert all(r.status is NotificationStatus.SENT for r in await rows(hub.db))


@pytest.fixture
def pair() -> Iterator[GatedReceiver]:
    # Holds each request until a second one is open too (or a second has passed).
    server = GatedReceiver(gate=2)
    yield server
    server.close()


async def test_a_row_due_while_another_is_in_flight_goes_out_at_once(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, pair: GatedReceiver
) -> None:
    worker.channels["hook"] = build_channel(
        worker.configs["hook"].model_copy(update={"url": SecretStr(f"{pair.base_url}/hook")})
    )
    stop = asyncio.Event()
    task = asyncio.create_task(hub.background["delivery"](stop))
    alert = await add_alert(hub.db, clock())
    await enqueue(hub.db, clock(), "hook", replace(payload(alert), group_key="a"), key="first")
    hub.wake_delivery.set()
    await until(lambda: bool(pair.open))
    # The first send is held open; the loop answers the next wake with a claim, not a wait for it.
    await enqueue(hub.db, clock(), "hook", replace(payload(alert), group_key="b"), key="second")
    hub.wake_delivery.set()
    for _ in range(500):
        if len(await sent_rows(hub)) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    [(_, open_then)] = [a for a in pair.arrivals if a[0] == "second"]
    assert open_then == ["first"]
    assert len(pair.requests) == 2


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)


async def sent_rows(hub: Hub) -> list[int | None]:
    return [r.id for r in await rows(hub.db) if r.status is NotificationStatus.SENT]
