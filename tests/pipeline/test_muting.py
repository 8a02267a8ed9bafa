"""Silences, inhibition and time windows through the dispatcher: what they mute is recorded as a
`suppressed` notification and in the alert's trace, and goes out once the mute ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerthub.config.models import Config
from alerthub.domain.silence import LabelMatcher
from alerthub.hub import Hub
from alerthub.pipeline.dispatcher import Dispatcher
from alerthub.services.silences import SilenceDraft, SilenceService
from support.clock import FakeClock
from support.pipeline import clear, dispatcher, fire, outbox, trace

CONFIG = {
    "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
    "rules": [
        {"name": "api_down", "severity": "critical"},
        {"name": "site_down", "severity": "critical"},
        {"name": "site_slow", "severity": "warning"},
    ],
    "route": {
        "receiver": "discord",
        "group_by": ["service"],
        "group_wait": "0s",
        "group_interval": "5m",
        "routes": [
            {"match": {"team": "maint"}, "mute_time_intervals": ["friday_morning"]},
            {"match": {"team": "office"}, "active_time_intervals": ["office_hours"]},
        ],
    },
    "inhibit_rules": [
        {"source_match": {"alertname": "site_down"}, "target_match": {"alertname": "site_slow"}, "equal": ["service"]}
    ],
    "time_intervals": [
        # The FakeClock starts on Friday 2026-11-27 at 09:00 UTC (18:00 in Seoul).
        {
            "name": "friday_morning",
            "time_intervals": [{"weekdays": ["friday"], "times": [{"start_time": "08:00", "end_time": "10:00"}]}],
        },
        {
            "name": "office_hours",
            "time_intervals": [{"times": [{"start_time": "09:00", "end_time": "17:00"}], "location": "Asia/Seoul"}],
        },
    ],
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


async def until_sent(d: Dispatcher, clock: FakeClock, minutes: int) -> int:
    """Let the dispatcher tick every minute for a while; the minutes it took for something to be queued."""
    for minute in range(minutes + 1):
        if await d.run_once():
            return minute
        clock.advance(60)
    raise AssertionError("nothing was queued")


async def test_silence_suppresses_then_expires(hub: Hub, clock: FakeClock) -> None:
    silences = SilenceService(hub.db, hub.clock)
    silence = await silences.save(
        SilenceDraft((LabelMatcher("service", "api"),), clock.now, clock.now + timedelta(hours=1), "ops", "deploy")
    )
    d = dispatcher(hub)
    alert_id = await fire(hub, "api_down", service="api")
    assert await d.run_once() == 1
    [row] = await outbox(hub)
    assert row.status == "suppressed"
    assert row.reason.startswith(f"silenced by {silence.id} until 2026-11-27T10:00:00Z (ops: deploy)")
    assert f"pipeline:silence: silenced by {silence.id}" in " ".join(await trace(hub, alert_id))
    clock.advance(300)
    assert await d.run_once() == 0, "recorded once, not at every tick"
    assert hub.metrics.registry.get_sample_value("alerthub_pipeline_alerts_muted_total", {"stage": "silence"}) == 1
    assert await until_sent(d, clock, 60) == 55  # the silence ends at 10:00
    [sent] = (await outbox(hub))[1:]
    assert (sent.status, sent.reason) == ("pending", "first notification")


async def test_expiring_a_silence_early_lets_the_alert_through(hub: Hub, clock: FakeClock) -> None:
    silences = SilenceService(hub.db, hub.clock)
    silence = await silences.save(
        SilenceDraft((LabelMatcher("service", "api"),), clock.now, clock.now + timedelta(days=1), "ops", "noisy")
    )
    d = dispatcher(hub)
    await fire(hub, "api_down", service="api")
    await d.run_once()
    clock.advance(60)
    await silences.expire(silence.id)
    assert await until_sent(d, clock, 10) == 4  # the next group_interval tick


async def test_a_silence_for_another_service_changes_nothing(hub: Hub, clock: FakeClock) -> None:
    await SilenceService(hub.db, hub.clock).save(
        SilenceDraft((LabelMatcher("service", "web"),), clock.now, clock.now + timedelta(hours=1), "ops", "web only")
    )
    await fire(hub, "api_down", service="api")
    await dispatcher(hub).run_once()
    assert [r.status for r in await outbox(hub)] == ["pending"]


async def test_a_down_site_inhibits_its_slowness(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    down = await fire(hub, "site_down", service="shop")
    slow = await fire(hub, "site_slow", service="shop")
    other = await fire(hub, "site_slow", service="blog")
    await d.run_once()
    rows = await outbox(hub)
    sent = {(r.group_key, r.status): r.rules for r in rows}
    assert sent == {
        ('{}:{service="shop"}', "pending"): ["site_down"],
        ('{}:{service="shop"}', "suppressed"): ["site_slow"],
        ('{}:{service="blog"}', "pending"): ["site_slow"],
    }
    assert f"pipeline:inhibit: inhibited by alert #{down} (site_down; service='shop')" in await trace(hub, slow)
    assert not any("inhibit" in line for line in await trace(hub, other))
    clock.advance(60)
    await clear(hub, "site_down", service="shop")
    assert await until_sent(d, clock, 10) == 4
    [after] = (await outbox(hub))[len(rows) :]
    assert after.reason == "new alerts added"
    assert sorted((a.rule_name, a.state) for a in after.payload.alerts) == [
        ("site_down", "resolved"),
        ("site_slow", "firing"),
    ]


async def test_mute_time_interval(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    alert_id = await fire(hub, "api_down", service="api", team="maint")
    assert await d.run_once() == 1
    [row] = await outbox(hub)
    assert (row.status, row.reason) == ("suppressed", "muted by time interval 'friday_morning'")
    assert "pipeline:time_window: muted by time interval 'friday_morning'" in await trace(hub, alert_id)
    assert await until_sent(d, clock, 70) == 60  # the window ends at 10:00


async def test_active_time_interval_in_its_own_time_zone(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_down", service="api", team="office")  # 18:00 in Seoul: office hours are over
    assert await d.run_once() == 1
    [row] = await outbox(hub)
    assert (row.status, row.reason) == ("suppressed", "outside the active time interval(s) 'office_hours'")
    clock.advance(15 * 3600 - 120)  # 08:58 in Seoul the next morning: still muted, looked at again in 5m
    assert await until_sent(d, clock, 10) == 5, "at the group's first tick inside office hours"
    assert (await outbox(hub))[-1].status == "pending"
