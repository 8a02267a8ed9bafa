"""A webhook URL's secret quoted back by the remote's error page (Express: `Cannot POST /hooks/<token>`)
must reach nothing people or logs see: not the stored row, the channel's health, the alert's
history, the API, the pages, the log, nor the Test button's answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.notification import NotificationStatus
from alerthub.hub import Hub
from alerthub.store import channel_state
from support.clock import FakeClock
from support.leaks import HOOK_TOKEN, QUERY_TOKEN, TELEGRAM_TOKEN, leaks
from support.outbox_rows import add_alert, delivery_events, enqueue, payload, row
from support.standins import EchoingStandIn

HTML = {"Accept": "text/html"}


def capture_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Everything alerthub logs; httpx's own request lines stay at WARNING, as `alerthub serve` sets
    them (serving.quiet_http_client_logs), since they carry the full URL by design."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):
        caplog.set_level(logging.WARNING, logger=name)


@pytest.fixture
def echoing(request: pytest.FixtureRequest) -> Iterator[EchoingStandIn]:
    echo, status = getattr(request, "param", ("express", 404))
    server = EchoingStandIn(echo, status)
    yield server
    server.close()


@pytest.fixture
def config(echoing: EchoingStandIn) -> Config:
    return Config.model_validate(
        {
            "server": {"public_url": "http://hub.test"},
            "channels": [
                {
                    "name": "hook",
                    "type": "webhook",
                    "url": f"{echoing.base_url}/hooks/{HOOK_TOKEN}?token={QUERY_TOKEN}",
                },
                {
                    "name": "tg",
                    "type": "telegram",
                    "bot_token": TELEGRAM_TOKEN,
                    "chat_id": "-100123",
                    "base_url": echoing.base_url,
                },
            ],
            "receivers": [{"name": "default", "channels": ["hook"]}],
        }
    )


async def seen_by_people(client: httpx.AsyncClient, alert_id: int, row_id: int) -> list[str]:
    texts = []
    for path in ("/api/notifications", f"/api/notifications/{row_id}", "/api/channels", f"/api/alerts/{alert_id}"):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        texts.append(answer.text)
    for page in ("/notifications", "/channels", f"/alerts/{alert_id}"):
        answer = await client.get(page, headers=HTML)
        assert answer.status_code == 200, page
        texts.append(answer.text)
    return texts


async def stored_health(hub: Hub) -> list[str]:
    async with hub.db.read() as conn:
        states = await channel_state.all_states(conn)
    return [state.last_error or "" for state in states.values()]


@pytest.mark.parametrize(
    ("echoing", "outcome"),
    [
        (("express", 404), NotificationStatus.FAILED),
        (("target", 500), NotificationStatus.PENDING),
        (("padded", 404), NotificationStatus.FAILED),
    ],
    indirect=["echoing"],
    ids=["express-404", "target-500-retry", "quoted-past-the-cap"],
)
async def test_a_quoted_secret_is_nowhere(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    client: httpx.AsyncClient,
    echoing: EchoingStandIn,
    outcome: NotificationStatus,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture_logs(caplog)
    alert = await add_alert(hub.db, clock())
    row_id = await enqueue(hub.db, clock(), "hook", payload(alert))
    await worker.tick(http)
    assert leaks(echoing.replies[0][1].text or ""), "the remote must really quote the secret"
    stored = await row(hub.db, row_id)
    assert stored.status is outcome and stored.last_error
    assert stored.last_error.startswith(f"HTTP {echoing.status}: ")
    events = [str(e) for e in await delivery_events(hub.db, alert.id)]
    logged = [record.getMessage() for record in caplog.records]
    assert any("notification" in line and "HTTP" in line for line in logged)  # the failure was logged
    everything = [stored.last_error, *events, *await stored_health(hub), *logged]
    everything += await seen_by_people(client, alert.id, row_id)
    assert [leaks(text) for text in everything] == [[]] * len(everything)


@pytest.mark.parametrize(
    ("echoing", "channel", "said"),
    [
        (("encoded", 404), "tg", "Not found: %2Fbot***%2FsendMessage"),
        (("express", 404), "hook", "Cannot POST /hooks/***"),
    ],
    indirect=["echoing"],
    ids=["telegram-url-encoded", "webhook-express"],
)
async def test_the_test_button_answers_without_the_secret(
    hub: Hub,
    client: httpx.AsyncClient,
    echoing: EchoingStandIn,
    channel: str,
    said: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture_logs(caplog)
    answer = await client.post(f"/api/channels/{channel}/test")
    assert answer.status_code == 502 and answer.json()["status"] == 404
    assert said in answer.json()["error"]
    assert leaks(echoing.replies[0][1].text or "")
    listed = (await client.get("/api/channels")).text
    everything = [answer.text, listed, *await stored_health(hub), *(r.getMessage() for r in caplog.records)]
    assert [leaks(text) for text in everything] == [[]] * len(everything)
