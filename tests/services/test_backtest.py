"""Backtest: the signal log of a source hub (filled through the real ingest, on both back ends) replayed
through the real rules and pipeline under two configurations, with exact counts reasoned out below.

The scenario, from T = 09:00 UTC, one receiver `team` with one webhook channel `hook`, grouped by
`service`, group_wait 30s, group_interval 5m, repeat_interval 4h:
- api_down{service=api} fires at T and resolves at T+45s (a blip);
- db_down{service=db} fires at T+1h and resolves at T+3h;
- cpu_high{service=web} (warning above 80) reads 70, 85, 75, 90, 60 at T+4h, +4h10m, ... +4h40m.
Under the running configuration each of them is told: api fires (flush at T+30s) and resolves (the group
flushed at T+30s, so its resolution waits group_interval: T+5m30s); db fires (T+1h00m30s) and resolves
(T+3h); cpu fires at 85 (T+4h10m30s), resolves at 75, fires at 90, resolves at 60 (each 10 minutes apart,
longer than group_interval). 2 + 2 + 4 = 8 messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from alerthub.cli.backtest import replay_hub
from alerthub.config.models import Config
from alerthub.domain.alert import Alert, AlertChange, AlertState
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.silence import LabelMatcher, Silence
from alerthub.hub import Hub, build_hub
from alerthub.rules.build import build_ruleset
from alerthub.services.backtest import WARM_UP, Backtest, BacktestReport, changed
from alerthub.services.sweep_agenda import SweepAgenda
from alerthub.store import overrides, silences
from alerthub.store.tables import alert, notification, signal_log
from support.backtest import fill, running_config
from support.clock import FakeClock
from support.standins import StandIn

DAY = timedelta(days=1)


@pytest.fixture
def receiver() -> Iterator[StandIn]:
    """Where the channel points: a replay must never reach it."""
    server = StandIn()
    yield server
    server.close()


@pytest.fixture
def config(receiver: StandIn) -> Config:
    return Config.model_validate(running_config(receiver.base_url))


async def backtest(hub: Hub, clock: FakeClock, tmp_path: Path, new: Config | None, **kw: Any) -> BacktestReport:
    await fill(hub, clock)
    since = kw.pop("since", clock.now)
    return await Backtest(hub.db, replay_hub, tmp_path, apart=False).run(hub.config, new, since, since + DAY)


def with_route(receiver: StandIn, **route: str) -> Config:
    data = running_config(receiver.base_url)
    return Config.model_validate({**data, "route": {**data["route"], **route}})


async def test_a_longer_group_wait_keeps_the_blip_quiet(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    # At group_wait 1m the api blip has resolved before its group's first flush (T+1m): nothing was ever
    # told of it, so nothing is told (Alertmanager's rule too). db and cpu are told as before: 8 - 2 = 6.
    report = await backtest(hub, clock, tmp_path, with_route(receiver, group_wait="1m"))
    assert report.signals == 9
    assert report.running.rules == {"api_down": 2, "cpu_high": 4, "db_down": 2}
    assert report.new is not None and report.new.rules == {"cpu_high": 4, "db_down": 2}
    [hook] = report.channels()
    assert (hook.receiver, hook.channel, hook.before.messages, hook.after.messages) == ("team", "hook", 8, 6)
    assert [(c.rule, c.before, c.after, c.change) for c in report.rules()] == [
        ("api_down", 2, 0, -2),
        ("cpu_high", 4, 4, 0),
        ("db_down", 2, 2, 0),
    ]
    assert [c.rule for c in changed(report, 10)] == ["api_down"]


async def test_a_shorter_group_interval_tells_the_blips_resolution_sooner_not_more(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    report = await backtest(hub, clock, tmp_path, with_route(receiver, group_interval="1m"))
    assert report.new is not None and report.new.messages == report.running.messages == 8


async def test_a_higher_threshold_silences_its_rule(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    # cpu never goes above 95: its four messages go, the rest stays.
    data = running_config(receiver.base_url)
    data["rules"] = [
        r if r["name"] != "cpu_high" else {"name": "cpu_high", "thresholds": {"warning": 95}} for r in data["rules"]
    ]
    report = await backtest(hub, clock, tmp_path, Config.model_validate(data))
    assert report.new is not None
    assert (report.running.messages, report.new.messages) == (8, 4)
    assert [(c.rule, c.change) for c in changed(report, 10)] == [("cpu_high", -4)]
    # And lower, at 72: 70 stays clear, 75 no longer resolves it; it fires once and resolves at 60.
    data["rules"][2] = {"name": "cpu_high", "thresholds": {"warning": 72}}
    lower = await Backtest(hub.db, replay_hub, tmp_path / "lower", apart=False).run(
        hub.config, Config.model_validate(data), clock.now, clock.now + DAY
    )
    assert lower.new is not None and lower.new.rules["cpu_high"] == 2


async def test_nothing_is_sent_and_the_hub_is_not_written(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    await fill(hub, clock)

    async def rows() -> tuple[int, ...]:
        async with hub.db.read() as conn:
            return tuple(
                [await conn.scalar(select(func.count()).select_from(t)) or 0 for t in (alert, notification, signal_log)]
            )

    before = await rows()
    report = await Backtest(hub.db, replay_hub, tmp_path, apart=False).run(
        hub.config, with_route(receiver, group_wait="1m"), clock.now, clock.now + DAY
    )
    assert report.running.messages == 8
    assert await rows() == before
    assert receiver.requests == []
    assert list(tmp_path.iterdir()) != [], "the replays' own databases were in the work directory"


async def test_night_is_the_servers_night(hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn) -> None:
    # In Seoul (UTC+9) T is 18:00: api's and db's messages (18:00-21:00) are in the evening, cpu's four
    # (22:10-22:40) at night. In UTC (the running configuration here) none is.
    seoul = Config.model_validate(running_config(receiver.base_url, server={"time_zone": "Asia/Seoul"}))
    report = await backtest(hub, clock, tmp_path, seoul)
    assert report.new is not None
    assert (report.running.night, report.new.night) == (0, 4)
    assert report.new.messages == report.running.messages == 8


async def test_signals_of_a_rule_new_lacks_are_left_out(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    data = running_config(receiver.base_url)
    data["rules"] = [r for r in data["rules"] if r["name"] != "db_down"]
    report = await backtest(hub, clock, tmp_path, Config.model_validate(data))
    assert report.new is not None
    assert report.new.unknown == {"db_down": 2} and report.running.unknown == {}
    assert report.new.rules == {"api_down": 2, "cpu_high": 4}


async def test_the_warm_up_knows_what_fired_before_the_span(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    # Counted from T+2h: db fired before (inside the warm-up) and its resolution at T+3h is told; api's
    # messages are before the span. Without the warm-up the resolution would be of an alert never seen.
    report = await backtest(hub, clock, tmp_path, None, since=clock.now + timedelta(hours=2))
    assert timedelta(hours=2) <= WARM_UP
    assert report.new is None
    assert report.running.rules == {"cpu_high": 4, "db_down": 1}
    assert report.signals == 6, "the span's own: db's resolution and cpu's five"
    # A configuration without db_down leaves out both its signals, and counts the one inside the span.
    data = running_config(receiver.base_url)
    data["rules"] = [r for r in data["rules"] if r["name"] != "db_down"]
    without = await Backtest(hub.db, replay_hub, tmp_path / "without", apart=False).run(
        hub.config, Config.model_validate(data), clock.now + timedelta(hours=2), clock.now + DAY
    )
    assert without.new is not None and without.new.unknown == {"db_down": 1}


async def test_pages_at_night_in_the_paged_persons_zone(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    people = [{"name": "alice", "time_zone": "America/New_York"}, {"name": "bob"}]
    policy = {"name": "wake", "steps": [{"notify": ["person:alice", "person:bob"], "wait": "10m"}]}
    data = running_config(receiver.base_url, people=people, escalation_policies=[policy])
    data["route"] = {**data["route"], "escalation": "wake"}
    berlin = {**data, "people": [{"name": "alice", "time_zone": "Europe/Berlin"}, {"name": "bob"}]}
    running, new = Config.model_validate(data), Config.model_validate(berlin)
    await fill(build_hub(running, clock=clock, db=hub.db), clock)
    report = await Backtest(hub.db, replay_hub, tmp_path, apart=False).run(running, new, clock.now, clock.now + DAY)
    assert report.new is not None
    before, after = report.channels()[0].before, report.channels()[0].after
    # One page per firing told (api, db, cpu twice), naming both people in one webhook message.
    assert before.pages == after.pages == 4
    # They go at 09:00:30, 10:00:30, 13:10:30 and 13:30 UTC: in New York 04:00:30 and 05:00:30 are at night,
    # 08:10:30 and 08:30 are not; bob has no zone (the server's, UTC: day); Berlin is in the day.
    assert (before.night_pages, after.night_pages) == (2, 0)
    assert (before.night, after.night) == (2, 0), "the group messages are in the server's zone: day"


async def test_replays_apart_count_as_replays_in_turn(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    await fill(hub, clock)
    new = with_route(receiver, group_wait="1m")
    span = (clock.now, clock.now + DAY)
    heard: list[int] = []
    apart = await Backtest(hub.db, replay_hub, tmp_path / "apart").run(hub.config, new, *span, heard.append)
    in_turn = await Backtest(hub.db, replay_hub, tmp_path / "turn", apart=False).run(hub.config, new, *span)
    assert apart == in_turn
    assert sum(heard) == 2 * 9, "progress heard from both processes"


async def test_the_hubs_silences_mute_the_replay_too(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    # Silenced from T+4h to T+5h: service=web, every cpu change inside it. The silence is read from the
    # hub's database into each replay's own.
    start = clock.now
    silence = Silence(
        "s-1",
        (LabelMatcher("service", "web"),),
        start + timedelta(hours=4),
        start + timedelta(hours=5),
        "kim",
        "cpu work",
        start,
        start,
    )
    async with hub.db.write() as conn:
        await silences.add(conn, silence)
    report = await backtest(hub, clock, tmp_path, with_route(receiver, group_wait="1m"))
    assert report.new is not None
    assert report.running.rules == {"api_down": 2, "db_down": 2}
    [hook] = report.channels()
    assert (hook.before.messages, hook.after.messages) == (4, 2)
    # Each of cpu's two firings is written held back (suppressed, never sent); its resolutions are of an alert
    # nobody was told of, so nothing is written for them.
    assert (hook.before.muted, hook.after.muted) == (2, 2)


async def test_the_hubs_schedule_overrides_decide_who_is_paged(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    # alice (New York) is on call all week; carol (Berlin) stands in for her the whole day in the hub's
    # database. The pages name carol, in her daytime: none at night (alice would have had 2, as above).
    people = [{"name": "alice", "time_zone": "America/New_York"}, {"name": "carol", "time_zone": "Europe/Berlin"}]
    rotation = {"every": "1w", "handoff": "2026-11-23T00:00:00Z", "people": ["alice"]}
    schedule = {"name": "primary", "time_zone": "UTC", "rotation": rotation}
    policy = {"name": "wake", "steps": [{"notify": ["schedule:primary"], "wait": "10m"}]}
    data = running_config(receiver.base_url, people=people, schedules=[schedule], escalation_policies=[policy])
    data["route"] = {**data["route"], "escalation": "wake"}
    config = Config.model_validate(data)
    await fill(build_hub(config, clock=clock, db=hub.db), clock)
    span = (clock.now, clock.now + DAY)
    alone = await Backtest(hub.db, replay_hub, tmp_path / "alone", apart=False).run(config, None, *span)
    async with hub.db.write() as conn:
        await overrides.add(conn, "primary", "carol", (clock.now - DAY, clock.now + DAY), "kim", clock.now)
    covered = await Backtest(hub.db, replay_hub, tmp_path / "covered", apart=False).run(config, None, *span)
    assert [(c.pages, c.night_pages) for c in alone.running.channels] == [(4, 2)]
    assert [(c.pages, c.night_pages) for c in covered.running.channels] == [(4, 0)]


async def test_the_sweeper_resolves_what_its_sender_stopped_sending(
    hub: Hub, clock: FakeClock, tmp_path: Path, receiver: StandIn
) -> None:
    # One Alertmanager-style signal at T promising a re-send by T+10m, then nothing: the sweeper resolves it
    # at T+10m (a tick of its 15 s loop), and the resolution is told (group_interval from T+30s has passed).
    ends = clock.now + timedelta(minutes=10)
    labels = {"service": "api"}
    await hub.ingest.ingest([Signal("api_down", "test", labels=labels, status=SignalStatus.FIRING, ends_at=ends)])
    report = await Backtest(hub.db, replay_hub, tmp_path, apart=False).run(hub.config, None, clock.now, clock.now + DAY)
    assert report.running.rules == {"api_down": 2}
    async with hub.db.read() as conn:
        assert await conn.scalar(select(alert.c.state)) == "firing", "the hub's own alert is not touched"


def test_the_sweep_agenda_keeps_each_alerts_next_tick() -> None:
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    agenda = SweepAgenda(build_ruleset([], []), start)

    def firing(alert_id: int, ends_in: float | None) -> AlertChange:
        ends = start + timedelta(seconds=ends_in) if ends_in is not None else None
        after = Alert(alert_id, f"f{alert_id}", "api_down", "test", AlertState.FIRING, Severity.CRITICAL,
                      None, None, {}, {}, 1, 1, start, start, start, ends_at=ends)  # fmt: skip
        return AlertChange(None, after, ())

    agenda.heard([firing(1, 20), firing(2, 100)])
    assert agenda.next_due() == start + timedelta(seconds=30), "20 s is swept at the 30 s tick"
    agenda.heard([firing(1, 200)])  # re-sent: its promise moved on
    assert agenda.next_due() == start + timedelta(seconds=105)
    assert agenda.take_due(start + timedelta(seconds=110)) == 1
    assert agenda.next_due() == start + timedelta(seconds=210)
    agenda.heard([firing(1, None)])
    assert agenda.next_due() is None
