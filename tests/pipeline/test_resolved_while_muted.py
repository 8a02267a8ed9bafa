"""Resolutions are never lost: an alert its receiver was paged about that resolves while silenced,
inhibited or in a mute window still sends its resolved message (`resolved_while_muted: notify`, the
default); `drop` keeps Alertmanager's silence; an alert nobody was told about stays quiet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.domain.silence import LabelMatcher
from alerthub.hub import Hub
from alerthub.services.silences import SilenceDraft, SilenceService
from support.clock import FakeClock
from support.pipeline import clear, dispatcher, fire, outbox, trace

ROUTE: dict[str, Any] = {"receiver": "discord", "group_by": ["service"], "group_wait": "0s", "group_interval": "5m"}
CONFIG: dict[str, Any] = {
    "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
    "rules": [{"name": "api_down", "severity": "critical"}, {"name": "api_slow", "severity": "warning"}],
    "route": ROUTE,
    "inhibit_rules": [
        {"source_match": {"alertname": "api_down"}, "target_match": {"alertname": "api_slow"}, "equal": ["service"]}
    ],
}


@pytest.fixture
def config(request: pytest.FixtureRequest) -> Config:
    return Config.model_validate(getattr(request, "param", CONFIG))


async def silence_api(hub: Hub, clock: FakeClock) -> None:
    draft = SilenceDraft((LabelMatcher("service", "api"),), clock.now, clock.now + timedelta(hours=2), "kim", "fixing")
    await SilenceService(hub.db, hub.clock).save(draft)


async def test_a_paged_alert_silenced_afterwards_announces_its_resolution(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    alert_id = await fire(hub, "api_down", service="api")
    await d.run_once()
    clock.advance(60)
    await silence_api(hub, clock)
    clock.advance(60)
    await clear(hub, "api_down", service="api")
    clock.advance(300)
    await d.run_once()
    first, resolved = await outbox(hub)
    assert (first.status, first.reason) == ("pending", "first notification")
    assert (resolved.status, resolved.reason) == ("pending", "all alerts resolved")
    assert [(a.rule_name, a.state) for a in resolved.payload.alerts] == [("api_down", "resolved")]
    assert any("all alerts resolved: queued for discord" in line for line in await trace(hub, alert_id))


async def test_an_alert_never_told_about_stays_quiet_when_it_resolves_silenced(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await silence_api(hub, clock)
    await fire(hub, "api_down", service="api")
    await d.run_once()
    clock.advance(60)
    await clear(hub, "api_down", service="api")
    clock.advance(300)
    await d.run_once()
    assert [r.status for r in await outbox(hub)] == ["suppressed"]


async def test_an_inhibited_alert_that_was_paged_announces_its_resolution(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_slow", service="api")
    await d.run_once()
    clock.advance(60)
    await fire(hub, "api_down", service="api")  # now inhibits the slowness
    clock.advance(300)
    await d.run_once()
    clock.advance(60)
    await clear(hub, "api_slow", service="api")
    clock.advance(300)
    await d.run_once()
    last = (await outbox(hub))[-1]
    assert last.status == "pending"
    assert ("api_slow", "resolved") in [(a.rule_name, a.state) for a in last.payload.alerts]


@pytest.mark.parametrize("config", [{**CONFIG, "route": {**ROUTE, "resolved_while_muted": "drop"}}], indirect=True)
async def test_drop_keeps_alertmanagers_silence(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_down", service="api")
    await d.run_once()
    clock.advance(60)
    await silence_api(hub, clock)
    await clear(hub, "api_down", service="api")
    clock.advance(300)
    await d.run_once()
    assert [r.reason for r in await outbox(hub)] == ["first notification"]


def test_a_child_route_inherits_the_choice_and_may_change_it() -> None:
    from alerthub.pipeline.routing import build_routes

    root = {**ROUTE, "resolved_while_muted": "drop", "routes": [{"match": {"team": "db"}}]}
    root["routes"].append({"match": {"team": "web"}, "resolved_while_muted": "notify"})
    tree = build_routes(Config.model_validate({**CONFIG, "route": root}))
    assert [r.announce_resolved_while_muted for r in tree.walk()] == [False, False, True]


def test_an_unknown_choice_is_a_configuration_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="resolved_while_muted"):
        Config.model_validate({**CONFIG, "route": {**ROUTE, "resolved_while_muted": "sometimes"}})


WINDOW = {"name": "deploys", "time_intervals": [{"times": [{"start_time": "09:10", "end_time": "10:00"}]}]}


@pytest.mark.parametrize(
    "config",
    [{**CONFIG, "route": {**ROUTE, "mute_time_intervals": ["deploys"]}, "time_intervals": [WINDOW]}],
    indirect=True,
)
async def test_a_paged_alert_resolving_inside_a_mute_window_announces_it(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)  # the FakeClock starts at 09:00 UTC, before the window
    await fire(hub, "api_down", service="api")
    await d.run_once()
    clock.advance(15 * 60)
    await clear(hub, "api_down", service="api")
    clock.advance(300)
    await d.run_once()
    assert [(r.status, r.reason) for r in await outbox(hub)] == [
        ("pending", "first notification"),
        ("pending", "all alerts resolved"),
    ]
