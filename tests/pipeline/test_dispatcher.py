"""Grouping timers, dedup reasons, resolved and acknowledged messages, through the real ingest path and the
real store (both databases), with the clock moved by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock
from support.pipeline import clear, dispatcher, fire, groups_table, outbox, trace

CONFIG = {
    "channels": [
        {"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"},
        {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "to": ["ops@example.com"], "send_resolved": False},
    ],
    "receivers": [{"name": "team", "channels": ["discord", "mail"]}],
    "rules": [
        {"name": "api_down", "severity": "critical"},
        {"name": "api_slow", "thresholds": {"warning": 1000, "critical": 3000}},
        {"name": "flappy", "severity": "high", "cooldown": "10m"},
        {"name": "slow_burn", "thresholds": {"high": 80}, "for": "2m"},
    ],
    "route": {
        "receiver": "team",
        "group_by": ["service"],
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
    },
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


async def test_first_notification_waits_group_wait(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    alert_id = await fire(hub, "api_down", service="api")
    assert await d.run_once() == 0
    clock.advance(29)
    assert await d.run_once() == 0
    clock.advance(1)
    assert await d.run_once() == 2
    rows = await outbox(hub)
    assert [(r.channel, r.status, r.reason) for r in rows] == [
        ("discord", "pending", "first notification"),
        ("mail", "pending", "first notification"),
    ]
    first = rows[0]
    assert first.alert_ids == (alert_id,)
    assert first.group_key == '{}:{service="api"}'
    assert first.thread_key == 'discord:{}:{service="api"}'
    assert first.payload.group_labels == {"service": "api"}
    assert first.payload.alerts[0].url == f"http://127.0.0.1:8000/alerts/{alert_id}"
    assert len({r.idempotency_key for r in rows}) == 2
    assert await d.run_once() == 0, "a flushed group is not flushed again at once"
    sample = hub.metrics.registry.get_sample_value
    labels = {"status": "pending", "reason": "first notification"}
    assert sample("alerthub_pipeline_notifications_enqueued_total", labels) == 2


async def test_later_changes_wait_group_interval_then_repeat(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_down", service="api")
    clock.advance(30)
    await d.run_once()
    seen = len(await outbox(hub))
    clock.advance(60)
    await fire(hub, "api_slow", 5000, service="api")
    clock.advance(60)
    assert await d.run_once() == 0, "a change waits for group_interval after the last flush"
    clock.advance(179)
    assert await d.run_once() == 0
    clock.advance(1)  # 5 minutes after the first flush
    assert await d.run_once() == 2
    rows = (await outbox(hub))[seen:]
    assert {r.reason for r in rows} == {"new alerts added"}
    assert rows[0].rules == ["api_down", "api_slow"]
    assert rows[0].payload.alerts[1].threshold == 3000 and rows[0].payload.alerts[1].comparison == ">"
    clock.advance(4 * 3600 - 1)
    assert await d.run_once() == 0
    clock.advance(1)
    assert await d.run_once() == 2
    assert {r.reason for r in (await outbox(hub))[seen + 2 :]} == {"repeat interval elapsed"}


async def test_a_signal_seen_again_changes_nothing(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_down", service="api")
    clock.advance(30)
    await d.run_once()
    for _ in range(5):
        clock.advance(120)
        await fire(hub, "api_down", service="api")
        assert await d.run_once() == 0
    assert len(await outbox(hub)) == 2


async def test_resolved_goes_only_to_channels_that_take_it(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_down", service="api")
    await fire(hub, "api_slow", 5000, service="api")
    clock.advance(30)
    await d.run_once()
    clock.advance(60)
    await clear(hub, "api_slow", service="api")
    clock.advance(240)
    assert await d.run_once() == 1
    [some] = (await outbox(hub))[2:]
    assert (some.channel, some.reason, some.payload.status) == ("discord", "some alerts resolved", "firing")
    assert sorted(a.state for a in some.payload.alerts) == ["firing", "resolved"]
    await clear(hub, "api_down", service="api")
    clock.advance(300)
    assert await d.run_once() == 1
    [last] = (await outbox(hub))[3:]
    assert (last.channel, last.reason, last.payload.status) == ("discord", "all alerts resolved", "resolved")
    assert await groups_table(hub) == [], "a group with nothing left goes away"


async def test_fired_and_resolved_before_the_flush_sends_nothing(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    alert_id = await fire(hub, "api_down", service="api")
    clock.advance(10)
    await clear(hub, "api_down", service="api")
    clock.advance(20)
    assert await d.run_once() == 0
    assert await outbox(hub) == []
    assert any("resolved before any notification" in line for line in await trace(hub, alert_id))


async def test_pending_alerts_are_not_notified(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "slow_burn", 90, service="db")
    clock.advance(60)
    assert await d.run_once() == 0 and await groups_table(hub) == []
    clock.advance(60)
    await fire(hub, "slow_burn", 95, service="db")  # held for 2m: now firing
    clock.advance(30)
    assert await d.run_once() == 2


async def test_acknowledge_sends_a_notice_to_channels_already_told(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    alert_id = await fire(hub, "api_down", service="api")
    clock.advance(30)
    await d.run_once()
    clock.advance(5)
    hub.wake_delivery.clear()
    await hub.alerts.acknowledge(alert_id, "alice")
    assert hub.wake_delivery.is_set(), "delivery is woken for the notice"
    rows = (await outbox(hub))[2:]
    assert [(r.channel, r.kind, r.reason, r.payload.status) for r in rows] == [
        ("discord", "acknowledged", "acknowledged", "acknowledged"),
        ("mail", "acknowledged", "acknowledged", "acknowledged"),
    ]
    assert rows[0].payload.alerts[0].acknowledged_by == "alice"
    assert rows[0].thread_key == 'discord:{}:{service="api"}', "same conversation as the first message"
    clock.advance(5 * 3600)
    assert await d.run_once() == 0, "an acknowledged alert does not repeat"


async def test_acknowledging_an_alert_nobody_was_told_about_sends_nothing(hub: Hub, clock: FakeClock) -> None:
    alert_id = await fire(hub, "api_down", service="api")
    await hub.alerts.acknowledge(alert_id, "alice")
    assert await outbox(hub) == []


async def test_cooldown_caps_repeats_of_a_flapping_alert(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "flappy", service="web")
    clock.advance(30)
    assert await d.run_once() == 2
    clock.advance(60)
    await clear(hub, "flappy", service="web")
    clock.advance(240)
    assert await d.run_once() == 1  # the resolved message (to discord only), 5 minutes after the first
    clock.advance(10)
    await fire(hub, "flappy", service="web")  # fires again 10s later: inside the rule's 10m cooldown
    clock.advance(30)
    assert await d.run_once() == 0
    clock.advance(300)
    assert await d.run_once() == 0
    clock.advance(259)
    assert await d.run_once() == 0
    clock.advance(1)  # 10 minutes after the resolved message
    assert await d.run_once() == 2, "goes out once the cooldown has run out"
    assert {r.reason for r in (await outbox(hub))[3:]} == {"first notification"}


async def test_severity_change_is_news(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_slow", 1500, service="api")
    clock.advance(30)
    await d.run_once()
    clock.advance(10)
    await fire(hub, "api_slow", 4000, service="api")
    clock.advance(300)
    assert await d.run_once() == 2
    rows = (await outbox(hub))[2:]
    assert rows[0].reason == "severity changed" and rows[0].payload.alerts[0].severity == "critical"


async def test_trace_tells_the_story(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    alert_id = await fire(hub, "api_down", service="api")
    clock.advance(30)
    await d.run_once()
    lines = await trace(hub, alert_id)
    assert lines[0].startswith("pipeline:route: matched route {}: receiver 'team' (discord, mail); grouped into")
    assert lines[1] == "pipeline:enqueue: first notification: queued for discord, mail"


async def test_group_interval_counts_from_when_the_group_fell_due_not_from_a_late_pass(
    hub: Hub, clock: FakeClock
) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_down", service="api")
    clock.advance(40)  # due at 30; the pass gets there 10 s late
    assert await d.run_once() == 2
    clock.advance(20)
    await fire(hub, "api_slow", 5000, service="api")
    clock.advance(270)  # 330: group_interval after the tick at 30, as Alertmanager's timer would fire
    assert await d.run_once() == 2
    assert (await outbox(hub))[-1].reason == "new alerts added"


async def test_a_group_overdue_by_a_whole_interval_starts_its_intervals_afresh(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_down", service="api")
    clock.advance(30)
    await d.run_once()
    clock.advance(10)
    await fire(hub, "api_slow", 5000, service="api")  # due at 330
    clock.advance(960)  # the hub was away: the pass comes at 1000
    assert await d.run_once() == 2
    clock.advance(10)
    await fire(hub, "flappy", service="api")
    clock.advance(289)
    assert await d.run_once() == 0, "not at once: group_interval after this late flush"
    clock.advance(1)
    assert await d.run_once() == 2


async def test_a_commit_wakes_the_loop_only_when_a_group_falls_due_before_it_would_look(
    hub: Hub, clock: FakeClock
) -> None:
    wired = hub.background["dispatcher"].__self__  # type: ignore[attr-defined]
    d = dispatcher(hub)
    wired._asleep_until = clock() + timedelta(seconds=5)
    hub.wake_dispatch.clear()
    await fire(hub, "api_down", service="api")
    assert not hub.wake_dispatch.is_set(), "a new group due in 30 s: the sleeping loop looks before that"
    clock.advance(30)
    assert await d.run_once() == 2
    clock.advance(600)
    wired._asleep_until = clock() + timedelta(seconds=5)
    await fire(hub, "api_slow", 5000, service="api")
    assert hub.wake_dispatch.is_set(), "group_interval long past: the group is due now"
