"""The weekly noise report as a receiver gets it: once a week at its hour, the noisiest rules and assets,
messages out of hours, mean times to acknowledge and resolve, what began flapping, a link to the
overview; in the channel's language; once, and not for a week long past."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.config.routes import NoiseReportConfig
from alerthub.delivery.compose import render
from alerthub.hub import Hub
from alerthub.services.noise_reports import NoiseReports, last_slot, out_of_hours
from support.clock import FakeClock
from support.pipeline import Row, clear, dispatcher, fire, outbox

CONFIG: dict[str, Any] = {
    "channels": [
        {"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"},
        {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "to": ["ops@example.com"], "language": "ko"},
    ],
    "receivers": [
        {"name": "ops", "channels": ["discord", "mail"], "noise_report": {"weekday": "monday", "at": "09:00"}},
        {"name": "quiet", "channels": ["discord"]},
    ],
    "assets": [{"name": "shop", "matchers": ['service="shop"']}],
    "rules": [{"name": "disk_full", "severity": "critical"}, {"name": "api_down", "severity": "critical"}],
    "route": {"receiver": "ops", "group_by": ["alertname", "service"], "group_wait": "0s", "group_interval": "1m"},
}
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


def reports(hub: Hub) -> NoiseReports:
    return NoiseReports(
        hub.db, hub.clock, hub.metrics, lambda: (hub.config, hub.pipeline.setup.builder), asyncio.Event()
    )


async def report_rows(hub: Hub) -> list[Row]:
    return [r for r in await outbox(hub) if r.kind == "noise_report"]


async def a_noisy_week(hub: Hub, clock: FakeClock) -> None:
    """Friday 09:00 a disk fills (acknowledged ten minutes later, cleared after an hour); Friday night at
    23:30 the shop's API toggles five times and starts flapping."""
    d = dispatcher(hub)
    disk = await fire(hub, "disk_full", service="shop", host="web-1")
    await d.run_once()
    clock.advance(minutes=10)
    await hub.alerts.acknowledge(disk, "kim")
    clock.advance(minutes=50)
    await clear(hub, "disk_full", service="shop", host="web-1")
    await d.run_once()
    clock.now = clock.now.replace(hour=23, minute=30)
    for _ in range(3):
        await fire(hub, "api_down", service="shop")
        await d.run_once()
        clock.advance(minutes=2)
        await clear(hub, "api_down", service="shop")
        clock.advance(minutes=2)
    await d.run_once()


async def test_the_report_goes_out_once_at_its_hour(hub: Hub, clock: FakeClock) -> None:
    await a_noisy_week(hub, clock)
    r = reports(hub)
    clock.now = MONDAY_9.replace(hour=8, minute=59)
    assert await r.run_once() == 0  # not before its hour
    clock.now = MONDAY_9.replace(second=30)
    assert await r.run_once() == 2
    assert await r.run_once() == 0
    rows = await report_rows(hub)
    assert sorted(row.channel for row in rows) == ["discord", "mail"]  # ops only: "quiet" did not ask
    report = rows[0].payload.noise_report
    assert report is not None
    assert (report.since, report.until, report.clock) == ("2026-11-23T09:00:00Z", "2026-11-30T09:00:00Z", "UTC")
    assert report.rules == (("api_down", 3, 1), ("disk_full", 1, 1))
    assert report.assets == (("shop", 4),)
    assert report.flapping == ("api_down — shop",)
    assert report.episodes == 4 and report.mtta_seconds == 600.0
    assert report.overview_url == "http://127.0.0.1:8000/overview"
    # The disk by day, the API at night (on two channels each, counted once); resolutions and the
    # flapping notice do not count, nor the API's later firings: flapping held them back.
    assert (report.messages, report.out_of_hours) == (2, 1)


async def test_two_instances_send_the_report_once(hub: Hub, clock: FakeClock) -> None:
    await a_noisy_week(hub, clock)
    clock.now = MONDAY_9
    counts = await asyncio.gather(reports(hub).run_once(), reports(hub).run_once())
    assert sorted(counts) == [0, 2]
    clock.advance(hours=2)
    assert await reports(hub).run_once() == 0  # a third, started later, finds it sent
    assert len(await report_rows(hub)) == 2


async def test_the_report_reads_in_the_channels_language(hub: Hub, clock: FakeClock) -> None:
    await a_noisy_week(hub, clock)
    clock.now = MONDAY_9
    await reports(hub).run_once()
    by_channel = {row.channel: row for row in await report_rows(hub)}
    english = render(by_channel["discord"].payload, hub.config.channels[0])
    assert english.title == "Noise report, 2026-11-23 to 2026-11-30"
    assert "Noisiest rules: api_down (3 firings, 1 alerts), disk_full (1 firings, 1 alerts)" in english.body
    assert "Noisiest assets: shop (4 firings)" in english.body
    assert "Mean time to acknowledge: 10m;" in english.body
    assert "Began flapping: api_down — shop" in english.body
    assert "Overview: http://127.0.0.1:8000/overview" in english.body
    korean = render(by_channel["mail"].payload, hub.config.channels[1])
    assert korean.title == "소음 보고서, 2026-11-23 ~ 2026-11-30"
    assert korean.html is not None and "<li>가장 시끄러운 규칙: api_down (발생 3회, 알림 1건)" in korean.html


async def test_a_week_long_past_is_not_reported(hub: Hub, clock: FakeClock) -> None:
    await a_noisy_week(hub, clock)
    clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday: a day late
    assert await reports(hub).run_once() == 0


def test_the_slot_is_the_last_weekday_and_hour_on_the_reports_clock() -> None:
    seoul = NoiseReportConfig(weekday="monday", time_zone="Asia/Seoul")
    # Monday 09:00 in Seoul is Monday 00:00 UTC.
    assert last_slot(seoul, datetime(2026, 11, 30, 0, 0, tzinfo=UTC)) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert last_slot(seoul, datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def test_out_of_hours_is_22_to_8_on_the_reports_clock() -> None:
    times = [datetime(2026, 11, 27, h, 0, tzinfo=UTC) for h in (0, 7, 8, 12, 21, 22, 23)]
    assert out_of_hours(times, "UTC") == 4  # 00, 07, 22, 23
    assert out_of_hours(times, "Asia/Seoul") == 2  # 09, 16, 17, 21, 06, 07, 08 there: 06 and 07


def test_true_is_the_default_report_and_a_bad_day_is_an_error() -> None:
    from pydantic import ValidationError

    cfg = Config.model_validate({"receivers": [{"name": "ops", "noise_report": True}]})
    assert cfg.receivers[0].noise_report == NoiseReportConfig()
    with pytest.raises(ValidationError, match="noise_report.weekday"):
        Config.model_validate({"receivers": [{"name": "ops", "noise_report": {"weekday": "funday"}}]})
