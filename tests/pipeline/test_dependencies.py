"""`dependencies[]`: one cause for many symptoms. With an asset tying a site's HetrixTools monitor, its
host and its Sentry project, a site outage pages once (the downtime); the host's and the project's
alerts page nobody while it lasts, and one that paged before still announces its resolution."""

from __future__ import annotations

from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock
from support.pipeline import clear, dispatcher, fire, outbox, trace

CONFIG: dict[str, Any] = {
    "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
    "route": {"receiver": "discord", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "5m"},
    "assets": [{"name": "shop", "matchers": ['service="Shop API"', 'host="web-1"', 'project="shop-frontend"']}],
    "dependencies": [
        {
            "asset": "shop",
            "cause": 'alertname="hetrixtools_downtime"',
            "suppress": ['alertname=~"system_.*"', 'alertname=~"sentry_.*"'],
        }
    ],
}


@pytest.fixture
def config(request: pytest.FixtureRequest) -> Config:
    return Config.model_validate(getattr(request, "param", CONFIG))


async def outage(hub: Hub) -> int:
    return await fire(hub, "hetrixtools_downtime", service="Shop API", url="https://api.example.com/health")


async def cpu_high(hub: Hub, clock: FakeClock, host: str) -> int:
    """The host's CPU held above 80 % past the rule's `for` (2 minutes): firing."""
    await fire(hub, "system_cpu_high", value=97.0, host=host)
    clock.advance(121)
    return await fire(hub, "system_cpu_high", value=97.0, host=host)


async def test_a_site_outage_pages_once_for_the_cause(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    down = await outage(hub)
    await d.run_once()
    clock.advance(30)
    cpu = await cpu_high(hub, clock, "web-1")
    errors = await fire(hub, "sentry_error_rate", value=57, project="shop-frontend")
    await d.run_once()
    sent = [r for r in await outbox(hub) if r.status == "pending"]
    assert [r.rules for r in sent] == [["hetrixtools_downtime"]]
    for symptom in (cpu, errors):
        cause = f"pipeline:inhibit: inhibited by alert #{down} (hetrixtools_downtime; asset='shop')"
        assert cause in await trace(hub, symptom)


async def test_another_assets_symptoms_still_page(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await outage(hub)
    await d.run_once()
    await cpu_high(hub, clock, "db-1")  # not the shop's host
    await d.run_once()
    sent = [r.rules for r in await outbox(hub) if r.status == "pending"]
    assert sent == [["hetrixtools_downtime"], ["system_cpu_high"]]


async def test_a_symptom_that_paged_before_the_outage_announces_its_resolution(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await cpu_high(hub, clock, "web-1")
    await d.run_once()
    clock.advance(60)
    await outage(hub)
    await d.run_once()
    clock.advance(60)
    await clear(hub, "system_cpu_high", host="web-1")
    clock.advance(300)
    await d.run_once()
    reasons = [(r.rules, r.reason) for r in await outbox(hub) if r.status == "pending"]
    assert (["system_cpu_high"], "all alerts resolved") in reasons


async def test_without_the_cause_the_symptoms_page(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await cpu_high(hub, clock, "web-1")
    await d.run_once()
    assert [r.rules for r in await outbox(hub) if r.status == "pending"] == [["system_cpu_high"]]


@pytest.mark.parametrize("config", [{**CONFIG, "route": {**CONFIG["route"], "group_wait": "5m"}}], indirect=True)
async def test_the_causes_message_names_what_it_holds_back(hub: Hub, clock: FakeClock) -> None:
    """The symptoms arrive inside the cause's group_wait: its first message lists them, whichever
    group the dispatcher flushes first."""
    d = dispatcher(hub)
    down = await outage(hub)
    await cpu_high(hub, clock, "web-1")
    await fire(hub, "sentry_error_rate", value=57, project="shop-frontend")
    await cpu_high(hub, clock, "db-1")  # another asset's: not held back, not listed
    clock.advance(300)
    await d.run_once()
    sent = {tuple(r.rules): r for r in await outbox(hub) if r.status == "pending"}
    [cause] = sent[("hetrixtools_downtime",)].payload.alerts
    assert cause.id == down
    assert cause.also_affected == ("system_cpu_high — web-1", "sentry_error_rate — shop-frontend")
    assert all(not a.also_affected for r in sent.values() for a in r.payload.alerts if a.id != down)


async def test_a_resolved_cause_lists_nothing(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await outage(hub)
    await d.run_once()
    await fire(hub, "sentry_error_rate", value=57, project="shop-frontend")
    clock.advance(60)
    await clear(hub, "hetrixtools_downtime", service="Shop API", url="https://api.example.com/health")
    clock.advance(300)
    await d.run_once()
    resolved = [r for r in await outbox(hub) if r.reason == "all alerts resolved"]
    assert [a.also_affected for r in resolved for a in r.payload.alerts] == [()]
