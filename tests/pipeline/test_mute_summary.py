"""The end of a mute: each receiver a time interval (or, when asked, a silence) held back gets one summary
of what fired inside it and how each alert stands now; once, however many instances look."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.delivery.compose import render
from alerthub.domain.silence import LabelMatcher
from alerthub.hub import Hub
from alerthub.pipeline.routing import build_routes
from alerthub.services.mute_notices import MuteNotices
from alerthub.services.silences import SilenceDraft, SilenceService
from support.clock import FakeClock
from support.pipeline import Row, clear, dispatcher, fire, outbox, trace

WINDOW = {"name": "deploys", "time_intervals": [{"times": [{"start_time": "09:10", "end_time": "10:00"}]}]}
ROUTE: dict[str, Any] = {
    "receiver": "ops",
    "group_by": ["service"],
    "group_wait": "0s",
    "group_interval": "5m",
    "mute_time_intervals": ["deploys"],
}
CONFIG: dict[str, Any] = {
    "channels": [
        {"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"},
        {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "to": ["ops@example.com"]},
    ],
    "receivers": [{"name": "ops", "channels": ["discord", "mail"]}],
    "rules": [{"name": "api_down", "severity": "critical"}, {"name": "disk_full", "severity": "warning"}],
    "route": ROUTE,
    "time_intervals": [WINDOW],
}
SILENCED: dict[str, Any] = {**CONFIG, "route": {k: v for k, v in ROUTE.items() if k != "mute_time_intervals"}}


@pytest.fixture
def config(request: pytest.FixtureRequest) -> Config:
    return Config.model_validate(getattr(request, "param", CONFIG))


def summaries(hub: Hub) -> MuteNotices:
    return MuteNotices(hub.db, hub.clock, hub.metrics, lambda: hub.pipeline.setup, asyncio.Event())


async def summary_rows(hub: Hub) -> list[Row]:
    return [r for r in await outbox(hub) if r.kind == "mute_summary"]


async def a_deploy_window_with_two_alerts(hub: Hub, clock: FakeClock) -> tuple[int, int]:
    """09:15 the API fails, 09:20 a disk fills, 09:30 the disk is cleared: all inside 09:10-10:00."""
    d = dispatcher(hub)
    clock.advance(minutes=15)
    api = await fire(hub, "api_down", service="api")
    await d.run_once()
    clock.advance(minutes=5)
    disk = await fire(hub, "disk_full", service="db")
    await d.run_once()
    clock.advance(minutes=10)
    await clear(hub, "disk_full", service="db")
    clock.advance(minutes=5)
    await d.run_once()
    return api, disk


async def test_the_end_of_a_mute_window_sends_one_summary_per_channel(hub: Hub, clock: FakeClock) -> None:
    api, disk = await a_deploy_window_with_two_alerts(hub, clock)
    s = summaries(hub)
    clock.now = clock.now.replace(hour=9, minute=59)
    assert await s.run_once() == 0  # still inside the window: nothing yet
    assert [r.status for r in await outbox(hub)] == ["suppressed", "suppressed", "suppressed", "suppressed"]

    clock.now = clock.now.replace(hour=10, minute=0, second=30)
    assert await s.run_once() == 2
    rows = await summary_rows(hub)
    assert sorted(r.channel for r in rows) == ["discord", "mail"]
    for r in rows:
        assert (r.status, r.reason, r.payload.receiver) == ("pending", "mute summary", "ops")
        assert r.payload.mute_note == "time interval 'deploys'"
        assert [(a.rule_name, a.state) for a in r.payload.alerts] == [("api_down", "firing"), ("disk_full", "resolved")]
        assert r.alert_ids == ()  # a summary is no conversation about the alerts: no ack notice follows it
    assert await s.run_once() == 0  # told once
    assert len(await summary_rows(hub)) == 2
    for alert_id in (api, disk):
        assert any(
            "held back by time interval 'deploys'; in its summary when it ended: queued for discord, mail" in line
            for line in await trace(hub, alert_id)
        )


async def test_the_summary_reads_as_such_in_each_language(hub: Hub, clock: FakeClock) -> None:
    await a_deploy_window_with_two_alerts(hub, clock)
    clock.now = clock.now.replace(hour=10, minute=1)
    await summaries(hub).run_once()
    mail = next(r for r in await summary_rows(hub) if r.channel == "mail")
    entry = hub.config.channels[1]
    message = render(mail.payload, entry)
    assert "While muted by time interval 'deploys': 2 alerts fired, 1 resolved since" in message.title
    korean = render(mail.payload, entry.model_copy(update={"language": "ko"}))
    assert "음소거(time interval 'deploys') 동안 발생한 알림 2건, 그중 1건 복구됨" in korean.title


async def test_what_still_fires_is_told_again_as_usual_after_the_window(hub: Hub, clock: FakeClock) -> None:
    await a_deploy_window_with_two_alerts(hub, clock)
    clock.now = clock.now.replace(hour=10, minute=1)
    await summaries(hub).run_once()
    clock.advance(minutes=5)
    await dispatcher(hub).run_once()
    told = [r for r in await outbox(hub) if r.kind != "mute_summary" and r.status == "pending"]
    assert sorted((r.channel, r.rules) for r in told) == [("discord", ["api_down"]), ("mail", ["api_down"])]


@pytest.mark.parametrize("config", [{**CONFIG, "route": {**ROUTE, "mute_summary": False}}], indirect=True)
async def test_mute_summary_false_keeps_the_window_quiet(hub: Hub, clock: FakeClock) -> None:
    await a_deploy_window_with_two_alerts(hub, clock)
    clock.now = clock.now.replace(hour=10, minute=1)
    assert await summaries(hub).run_once() == 0
    assert await summary_rows(hub) == []


async def silence_the_api(hub: Hub, clock: FakeClock) -> str:
    draft = SilenceDraft((LabelMatcher("service", "api"),), clock.now, clock.now + timedelta(hours=1), "kim", "db move")
    return (await SilenceService(hub.db, hub.clock).save(draft)).id


async def a_silenced_hour(hub: Hub, clock: FakeClock) -> str:
    silence_id = await silence_the_api(hub, clock)
    await fire(hub, "api_down", service="api")
    await dispatcher(hub).run_once()
    clock.advance(minutes=20)
    await clear(hub, "api_down", service="api")
    clock.advance(minutes=5)
    await dispatcher(hub).run_once()
    return silence_id


@pytest.mark.parametrize("config", [SILENCED], indirect=True)
async def test_a_silence_is_not_summarised_unless_the_route_asks(hub: Hub, clock: FakeClock) -> None:
    await a_silenced_hour(hub, clock)
    clock.advance(hours=1)
    assert await summaries(hub).run_once() == 0


@pytest.mark.parametrize("config", [{**SILENCED, "route": {**SILENCED["route"], "mute_summary": True}}], indirect=True)
async def test_a_silence_expired_early_is_summarised_when_the_route_asks(hub: Hub, clock: FakeClock) -> None:
    silence_id = await a_silenced_hour(hub, clock)
    s = summaries(hub)
    assert await s.run_once() == 0  # the silence still holds
    await SilenceService(hub.db, hub.clock).expire(silence_id)
    clock.advance(seconds=1)
    assert await s.run_once() == 2
    [first, *_] = await summary_rows(hub)
    assert first.payload.mute_note == f"silence {silence_id} (kim: db move)"
    assert [(a.rule_name, a.state) for a in first.payload.alerts] == [("api_down", "resolved")]


async def test_two_instances_summarise_a_mute_once(hub: Hub, clock: FakeClock) -> None:
    await a_deploy_window_with_two_alerts(hub, clock)
    clock.now = clock.now.replace(hour=10, minute=1)
    counts = await asyncio.gather(summaries(hub).run_once(), summaries(hub).run_once())
    assert sorted(counts) == [0, 2]
    assert len(await summary_rows(hub)) == 2


def test_a_child_route_inherits_mute_summary_and_may_change_it() -> None:
    root = {**ROUTE, "mute_summary": True, "routes": [{"match": {"team": "db"}}]}
    root["routes"].append({"match": {"team": "web"}, "mute_summary": False})
    tree = build_routes(Config.model_validate({**CONFIG, "route": root}))
    assert [(r.summarises("time:deploys"), r.summarises("silence:x")) for r in tree.walk()] == [
        (True, True),
        (True, True),
        (False, False),
    ]
    plain = build_routes(Config.model_validate(CONFIG))
    assert (plain.summarises("time:deploys"), plain.summarises("silence:x")) == (True, False)
