"""A silence about to end while what it holds back still fires warns its receivers, once per end and
route, `silence_expiry_warning` ahead (15 minutes by default; `0s` is off)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.delivery.compose import render
from alerthub.domain.clock import utc_text
from alerthub.domain.silence import LabelMatcher
from alerthub.hub import Hub
from alerthub.services.mute_notices import MuteNotices
from alerthub.services.silences import SilenceDraft, SilenceService
from support.clock import FakeClock
from support.pipeline import Row, clear, dispatcher, fire, outbox

ROUTE: dict[str, Any] = {"receiver": "discord", "group_by": ["service"], "group_wait": "0s", "group_interval": "1m"}
CONFIG: dict[str, Any] = {
    "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
    "rules": [{"name": "api_down", "severity": "critical"}, {"name": "api_slow", "severity": "warning"}],
    "route": ROUTE,
}


@pytest.fixture
def config(request: pytest.FixtureRequest) -> Config:
    return Config.model_validate(getattr(request, "param", CONFIG))


def notices(hub: Hub) -> MuteNotices:
    return MuteNotices(hub.db, hub.clock, hub.metrics, lambda: hub.pipeline.setup, asyncio.Event())


async def warnings(hub: Hub) -> list[Row]:
    return [r for r in await outbox(hub) if r.kind == "silence_expiring"]


async def an_hour_of_silence_over_two_alerts(hub: Hub, clock: FakeClock) -> str:
    """09:00-10:00 the API is silenced; both its alerts fire inside."""
    draft = SilenceDraft((LabelMatcher("service", "api"),), clock.now, clock.now + timedelta(hours=1), "kim", "upgrade")
    silence = await SilenceService(hub.db, hub.clock).save(draft)
    await fire(hub, "api_down", service="api")
    await fire(hub, "api_slow", service="api")
    clock.advance(minutes=1)  # the group's next look, which finds the second alert silenced too
    await dispatcher(hub).run_once()
    return silence.id


async def test_a_silence_ending_over_firing_alerts_warns_once(hub: Hub, clock: FakeClock) -> None:
    silence_id = await an_hour_of_silence_over_two_alerts(hub, clock)
    n = notices(hub)
    clock.advance(minutes=43)
    assert await n.run_once() == 0  # 16 minutes left: not yet
    clock.advance(minutes=1)
    assert await n.run_once() == 1
    [warning] = await warnings(hub)
    assert (warning.status, warning.reason, warning.channel) == ("pending", "silence expiring", "discord")
    assert sorted(a.rule_name for a in warning.payload.alerts) == ["api_down", "api_slow"]
    ends = utc_text(clock.now + timedelta(minutes=15))
    assert warning.payload.mute_note == f"silence {silence_id} (kim: upgrade), ending {ends}"
    title = render(warning.payload, hub.config.channels[0]).title
    assert f"Ending soon: silence {silence_id} (kim: upgrade), ending {ends}; 2 alerts it holds back" in title
    clock.advance(minutes=5)
    assert await n.run_once() == 0  # warned already
    assert len(await warnings(hub)) == 1


async def test_no_warning_when_everything_it_holds_back_has_resolved(hub: Hub, clock: FakeClock) -> None:
    await an_hour_of_silence_over_two_alerts(hub, clock)
    await clear(hub, "api_down", service="api")
    await clear(hub, "api_slow", service="api")
    clock.advance(minutes=1)
    await dispatcher(hub).run_once()
    clock.advance(minutes=50)
    assert await notices(hub).run_once() == 0
    assert await warnings(hub) == []


async def test_an_extended_silence_warns_again_before_its_new_end(hub: Hub, clock: FakeClock) -> None:
    silence_id = await an_hour_of_silence_over_two_alerts(hub, clock)
    n = notices(hub)
    clock.advance(minutes=49)
    assert await n.run_once() == 1
    service = SilenceService(hub.db, hub.clock)
    old = await service.get(silence_id)
    longer = old.ends_at + timedelta(hours=1)
    await service.save(SilenceDraft(old.matchers, old.starts_at, longer, "kim", "upgrade, longer", id=silence_id))
    assert await n.run_once() == 0  # the new end is an hour away
    clock.advance(hours=1)
    assert await n.run_once() == 1
    assert len(await warnings(hub)) == 2


@pytest.mark.parametrize("config", [{**CONFIG, "route": {**ROUTE, "silence_expiry_warning": "0s"}}], indirect=True)
async def test_zero_turns_the_warning_off(hub: Hub, clock: FakeClock) -> None:
    await an_hour_of_silence_over_two_alerts(hub, clock)
    clock.advance(minutes=58)
    assert await notices(hub).run_once() == 0


@pytest.mark.parametrize("config", [{**CONFIG, "route": {**ROUTE, "silence_expiry_warning": "1h"}}], indirect=True)
async def test_the_route_sets_how_far_ahead(hub: Hub, clock: FakeClock) -> None:
    await an_hour_of_silence_over_two_alerts(hub, clock)
    clock.advance(minutes=1)
    assert await notices(hub).run_once() == 1


WITH_PEOPLE: dict[str, Any] = {
    **CONFIG,
    "channels": [
        *CONFIG["channels"],
        {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "to": ["ops@example.com"]},
        {"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"},
    ],
    "receivers": [{"name": "ops", "channels": ["discord", "mail", "hook"]}],
    "route": {**ROUTE, "receiver": "ops"},
    "people": [{"name": "kim", "email": "kim@example.com", "discord_user_id": "123456789012345678"}],
}


def with_people(hub: Hub) -> MuteNotices:
    from alerthub.services.paging import PageRoute

    def people() -> Any:
        return hub.oncall.roster, PageRoute.from_config(hub.config)

    return MuteNotices(hub.db, hub.clock, hub.metrics, lambda: hub.pipeline.setup, asyncio.Event(), people)


@pytest.mark.parametrize("config", [WITH_PEOPLE], indirect=True)
async def test_the_silences_creator_is_warned_too(hub: Hub, clock: FakeClock) -> None:
    await an_hour_of_silence_over_two_alerts(hub, clock)
    clock.advance(minutes=50)
    assert await with_people(hub).run_once() == 4
    told = sorted((r.channel, r.payload.paged) for r in await warnings(hub))
    # Mentioned in the chat channel's one message; a mail of their own beside the receivers'; the
    # webhook, which cannot address anyone, unchanged.
    assert told == [("discord", ("kim",)), ("hook", ()), ("mail", ()), ("mail", ("kim",))]
