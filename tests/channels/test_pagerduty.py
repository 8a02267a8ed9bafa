"""The PagerDuty channel through the real pipeline and delivery worker, against a loopback server that
answers as PagerDuty's Events API v2 documents: 202 with the dedup_key, 400 "invalid event" with its
errors, 429 when throttled. One alert's life (fire, acknowledge, resolve) is one PagerDuty alert."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from alerthub.channels.pagerduty import PagerDutyChannel, PagerDutyChannelConfig
from alerthub.config.models import Config, RuleConfig
from alerthub.delivery.compose import render
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.notification import NotificationStatus
from alerthub.hub import Hub
from alerthub.services.channels import ChannelService
from support.channel_samples import payload, snapshot
from support.clock import FakeClock
from support.outbox_rows import rows
from support.pipeline import clear, dispatcher, fire
from support.standins import Reply, Request, StandIn

ROUTING_KEY = "R0ut1ngKzk3vT9qL2mWx8RbN4pYcQa7s"  # 32 characters, as PagerDuty's integration keys are
SEVERITIES = ("critical", "error", "warning", "info")


def sample(secret: str) -> dict[str, object]:
    """This type's row in the table of tests/channels/test_contract.py."""
    return {"routing_key": secret}


class PagerDutyStandIn(StandIn):
    """`POST /v2/enqueue` as PagerDuty answers it, keeping each dedup_key's alert state. It quotes an
    unknown routing key back, as a proxy in front of it might, so hiding the key is tested too."""

    def __init__(self, keys: tuple[str, ...] = (ROUTING_KEY,)) -> None:
        super().__init__()
        self.keys = keys
        self.alerts: dict[str, str] = {}

    def answer(self, request: Request) -> Reply:
        event = request.json()
        errors = problems(event, self.keys)
        if errors:
            return Reply(400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors})
        key, action = event["dedup_key"], event["event_action"]
        if action == "trigger" or key in self.alerts:  # PagerDuty ignores a follow-up for no open alert
            self.alerts[key] = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}[action]
        return Reply(202, {"status": "success", "message": "Event processed", "dedup_key": key})

    def events(self) -> list[dict[str, Any]]:
        return [r.json() for r, reply in self.replies if reply.status == 202]


def problems(event: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    key = event.get("routing_key")
    if key not in keys:
        return [f"Invalid routing key {key}"]
    if event.get("event_action") not in ("trigger", "acknowledge", "resolve"):
        return ["'event_action' is invalid"]
    if not 0 < len(event.get("dedup_key") or "") <= 255:
        return ["'dedup_key' must be 1 to 255 characters"]
    if event["event_action"] != "trigger":
        return []
    payload = event.get("payload") or {}
    found = [f"'payload.{f}' is missing or blank" for f in ("summary", "source", "severity") if not payload.get(f)]
    if len(payload.get("summary") or "") > 1024:
        found.append("'payload.summary' is longer than 1024 characters")
    if payload.get("severity") not in SEVERITIES:
        found.append("'payload.severity' is invalid")
    return found


@pytest.fixture
def pagerduty() -> Iterator[PagerDutyStandIn]:
    server = PagerDutyStandIn()
    yield server
    server.close()


@pytest.fixture
def routing_key() -> str:
    return ROUTING_KEY


@pytest.fixture
def config(pagerduty: PagerDutyStandIn, routing_key: str) -> Config:
    url = f"{pagerduty.base_url}/v2/enqueue"
    return Config.model_validate(
        {
            "server": {"public_url": "http://hub.test"},
            "channels": [{"name": "pd", "type": "pagerduty", "routing_key": routing_key, "url": url}],
            "receivers": [{"name": "oncall", "channels": ["pd"]}],
            "route": {"receiver": "oncall", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1m"},
            "rules": [RuleConfig.model_validate({"name": "disk_full", "thresholds": {"high": 80, "critical": 90}})],
            "delivery": {"max_attempts": 4, "initial_backoff": "2s", "max_backoff": "1m"},
        }
    )


@pytest.fixture
def worker(hub: Hub) -> DeliveryWorker:
    found = hub.delivery
    found.sender.rand = lambda: 1.0  # backoff without jitter, so a test can name the moment
    return found


async def flush_and_send(hub: Hub, clock: FakeClock, worker: DeliveryWorker, http: httpx.AsyncClient) -> None:
    clock.advance(61)
    await dispatcher(hub).run_once()
    await worker.tick(http)


async def test_fire_acknowledge_resolve_is_one_pagerduty_alert(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, pagerduty: PagerDutyStandIn, http: httpx.AsyncClient
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="db-1")
    await flush_and_send(hub, clock, worker, http)
    [trigger] = pagerduty.events()
    key = trigger["dedup_key"]
    assert pagerduty.alerts == {key: "triggered"}
    assert trigger["routing_key"] == ROUTING_KEY and trigger["event_action"] == "trigger"
    payload = trigger["payload"]
    assert (payload["source"], payload["severity"], payload["class"]) == ("db-1", "critical", "disk_full")
    assert payload["summary"] == "disk_full — db-1"
    assert payload["custom_details"]["labels"] == {"host": "db-1"} and payload["custom_details"]["value"] == 97
    assert {"href": f"http://hub.test/alerts/{alert_id}", "text": "alerthub"} in trigger["links"]

    await hub.alerts.acknowledge(alert_id, "kim")
    await worker.tick(http)
    assert pagerduty.alerts == {key: "acknowledged"}

    await clear(hub, "disk_full", host="db-1")
    await flush_and_send(hub, clock, worker, http)
    assert pagerduty.alerts == {key: "resolved"}
    assert [e["event_action"] for e in pagerduty.events()] == ["trigger", "acknowledge", "resolve"]
    assert {e["dedup_key"] for e in pagerduty.events()} == {key}
    assert all(r.status is NotificationStatus.SENT for r in await rows(hub.db))


async def test_firing_again_after_it_resolved_is_a_new_pagerduty_alert(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, pagerduty: PagerDutyStandIn, http: httpx.AsyncClient
) -> None:
    await fire(hub, "disk_full", 97.0, host="db-1")
    await flush_and_send(hub, clock, worker, http)
    await clear(hub, "disk_full", host="db-1")
    await flush_and_send(hub, clock, worker, http)
    await fire(hub, "disk_full", 85.0, host="db-1")
    await flush_and_send(hub, clock, worker, http)
    first, again = list(pagerduty.alerts)
    assert pagerduty.alerts == {first: "resolved", again: "triggered"}
    assert pagerduty.events()[-1]["payload"]["severity"] == "error"  # alerthub's `high`


async def test_a_long_summary_is_cut_to_pagerdutys_1024(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, pagerduty: PagerDutyStandIn, http: httpx.AsyncClient
) -> None:
    await fire(hub, "disk_full", 97.0, host="x" * 1024, service="y" * 1024)
    await flush_and_send(hub, clock, worker, http)
    assert pagerduty.statuses() == [202]
    [trigger] = pagerduty.events()
    assert len(trigger["payload"]["summary"]) == 1024


@pytest.mark.parametrize("routing_key", ["Zk3vT9qL2mWx8RbN4pYcQa7sR0ut1ngK"])
async def test_400_is_permanent_and_says_why_without_the_routing_key(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    pagerduty: PagerDutyStandIn,
    http: httpx.AsyncClient,
    routing_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await fire(hub, "disk_full", 97.0, host="db-1")
    await flush_and_send(hub, clock, worker, http)
    assert routing_key in pagerduty.replies[0][1].body["errors"][0]  # the remote did quote it
    clock.advance(3600)
    await worker.tick(http)
    assert pagerduty.statuses() == [400]  # never sent again
    [row] = await rows(hub.db)
    assert row.status is NotificationStatus.FAILED and row.attempts == 1
    assert row.last_error is not None and "HTTP 400: Event object is invalid: Invalid routing key ***" in row.last_error
    [channel] = await ChannelService(hub.config, hub.db, clock).list()
    for text in (row.last_error, channel.state.last_error or "", caplog.text):
        assert routing_key not in text and routing_key[:8] not in text


async def test_429_is_retried_after_pagerduty_says(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, pagerduty: PagerDutyStandIn, http: httpx.AsyncClient
) -> None:
    pagerduty.fail_next(Reply(429, {"status": "throttle event", "message": "Too many requests"}, {"Retry-After": "30"}))
    await fire(hub, "disk_full", 97.0, host="db-1")
    await flush_and_send(hub, clock, worker, http)
    [row] = await rows(hub.db)
    assert row.status is NotificationStatus.PENDING and row.last_error and "HTTP 429" in row.last_error
    clock.advance(10)
    await worker.tick(http)
    assert pagerduty.statuses() == [429]  # the channel waits as told
    clock.advance(21)
    await worker.tick(http)
    assert pagerduty.statuses() == [429, 202]
    assert list(pagerduty.alerts.values()) == ["triggered"]
    assert [r.status for r in await rows(hub.db)] == [NotificationStatus.SENT]


async def test_5xx_is_retried(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, pagerduty: PagerDutyStandIn, http: httpx.AsyncClient
) -> None:
    pagerduty.fail_next(Reply(503, text="Service Unavailable"))
    await fire(hub, "disk_full", 97.0, host="db-1")
    await flush_and_send(hub, clock, worker, http)
    clock.advance(3)
    await worker.tick(http)
    assert pagerduty.statuses() == [503, 202]


async def test_the_test_message_triggers_and_resolves(hub: Hub, pagerduty: PagerDutyStandIn) -> None:
    outcome = await ChannelService(hub.config, hub.db, hub.clock).test("pd")
    assert outcome.ok, outcome.error
    trigger, resolve = pagerduty.events()
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert list(pagerduty.alerts.values()) == ["resolved"]


def direct(pagerduty: PagerDutyStandIn) -> tuple[PagerDutyChannel, PagerDutyChannelConfig]:
    cfg = PagerDutyChannelConfig.model_validate(
        {"name": "pd", "type": "pagerduty", "routing_key": ROUTING_KEY, "url": f"{pagerduty.base_url}/v2/enqueue"}
    )
    return PagerDutyChannel(cfg), cfg


async def test_an_acknowledgement_notice_acknowledges_only_what_was_acknowledged(
    pagerduty: PagerDutyStandIn, http: httpx.AsyncClient
) -> None:
    ch, cfg = direct(pagerduty)
    await ch.send(render(payload(snapshot(1), snapshot(2, host="web-2")), cfg), http)
    acked = payload(snapshot(1, state="acknowledged"), snapshot(2, host="web-2"), reason="acknowledged")
    await ch.send(render(acked, cfg), http)
    assert pagerduty.alerts == {"fp1:1": "acknowledged", "fp2:1": "triggered"}
    assert [e["event_action"] for e in pagerduty.events()] == ["trigger", "trigger", "acknowledge"]


async def test_events_beyond_the_burst_pause_the_channel(pagerduty: PagerDutyStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = direct(pagerduty)
    many = payload(*[snapshot(i, host=f"web-{i}") for i in range(14)])
    result = await ch.send(render(many, cfg), http)
    assert len(pagerduty.alerts) == 14
    assert result.wait == 2.0  # 4 events past the burst of 10, at 2 a second
    assert (await ch.send(render(payload(), cfg), http)).wait is None


async def test_an_event_over_512_kb_leaves_the_annotations_out(
    pagerduty: PagerDutyStandIn, http: httpx.AsyncClient
) -> None:
    ch, cfg = direct(pagerduty)
    huge = replace(snapshot(), annotations={f"a{i}": "x" * 16384 for i in range(40)})  # 16 KB: ingest's cap each
    await ch.send(render(payload(huge), cfg), http)
    [trigger] = pagerduty.events()
    assert len(pagerduty.requests[0].body) <= 512 * 1024
    assert trigger["payload"]["custom_details"]["labels"] == {"host": "web-1"}
    assert "512 KB" in trigger["payload"]["custom_details"]["annotations"]
