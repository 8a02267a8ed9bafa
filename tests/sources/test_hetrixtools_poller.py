"""The HetrixTools poller against a loopback stand-in of the v3 uptime-monitors API."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import httpx
import pytest

from alerthub.errors import SourceError
from alerthub.hub import Hub
from alerthub.sources.hetrixtools import HetrixToolsConfig
from alerthub.sources.hetrixtools_poller import HetrixToolsPoller
from support.clock import FakeClock
from support.fake_apis import HetrixToolsAPI, alerts_of, supervisor_for

WEBSITE, SSH, STAGING = (
    "3f9c2a7e5b1d4c8e9a0b6d2f4e8c1a7b",
    "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    "1a2b3c4d5e6f708192a3b4c5d6e7f801",
)


@pytest.fixture
def hetrix_api(clock: FakeClock) -> Iterator[HetrixToolsAPI]:
    api = HetrixToolsAPI(now=clock)
    api.start()
    yield api
    api.stop()


def poller(
    api: HetrixToolsAPI, http: httpx.AsyncClient, clock: FakeClock, key: str = "hetrix-api-key"
) -> HetrixToolsPoller:
    return HetrixToolsPoller(HetrixToolsConfig.model_validate({"api_key": key, "base_url": api.url}), http, clock)


async def test_uptime_and_mean_response_time_per_monitor(
    clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    signals = await poller(hetrix_api, http, clock).poll()

    uptime = {s.labels["monitor_id"]: s for s in signals if s.rule_name == "hetrixtools_uptime"}
    assert {k: s.value for k, s in uptime.items()} == {WEBSITE: 99.9588, SSH: 100.0, STAGING: 0.0}
    assert uptime[WEBSITE].labels == {
        "monitor_id": WEBSITE,
        "service": "Example Website",
        "url": "https://www.example.com",
    }
    response = {s.labels["monitor_id"]: s.value for s in signals if s.rule_name == "hetrixtools_response_time"}
    assert response[WEBSITE] == pytest.approx((100 + 260 + 334 + 142) / 4, abs=0.1)
    request = hetrix_api.requests[0]
    assert request.headers["authorization"] == "Bearer hetrix-api-key"
    assert request.query == {"per_page": ["200"], "page": ["1"]}


async def test_raises_and_resolves_through_the_hub(
    hub: Hub, clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    hetrix_api.monitor(0, locations={"london": {"uptime_status": "up", "response_time": 4200, "last_check": 1}})
    supervisor = supervisor_for(hub, poller(hetrix_api, http, clock))
    await supervisor.run_once()

    uptime = await alerts_of(hub, "hetrixtools_uptime")
    # Staging is down (uptime_status "down"): critical, as the seed pages it, not high from 0 %.
    assert set(uptime) == {STAGING} and uptime[STAGING].severity == "critical"
    slow = await alerts_of(hub, "hetrixtools_response_time")
    assert slow[WEBSITE].state == "firing" and slow[WEBSITE].value == 4200

    # Staging recovers to 99.95 %; the website is fast again.
    hetrix_api.monitor(2, uptime="99.9500", uptime_status="up")
    hetrix_api.monitor(0, locations={"london": {"uptime_status": "up", "response_time": 180, "last_check": 2}})
    clock.advance(300)
    await supervisor.run_once()
    assert (await alerts_of(hub, "hetrixtools_uptime"))[STAGING].state == "resolved"
    assert (await alerts_of(hub, "hetrixtools_response_time"))[WEBSITE].state == "resolved"


async def test_monitors_in_maintenance_paused_or_disabled_are_not_down(
    hub: Hub, clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    supervisor = supervisor_for(hub, poller(hetrix_api, http, clock))
    await supervisor.run_once()
    assert (await alerts_of(hub, "hetrixtools_uptime"))[STAGING].state == "firing"

    hetrix_api.monitor(2, monitor_status="maint")
    for index, status in ((0, "paused"), (1, "disabled")):
        hetrix_api.monitor(index, monitor_status=status, uptime="12.0000")
    clock.advance(300)
    signals = await supervisor.poller.poll()
    assert signals == []
    await supervisor.run_once()
    alerts = await alerts_of(hub, "hetrixtools_uptime")
    assert set(alerts) == {STAGING} and alerts[STAGING].state == "resolved"


async def test_follows_meta_pagination_over_every_page(
    clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    template = hetrix_api.monitors[1]
    hetrix_api.monitors = [copy.deepcopy(template) | {"id": f"m{i:03}", "name": f"m{i}"} for i in range(450)]
    signals = await poller(hetrix_api, http, clock).poll()

    assert len({s.labels["monitor_id"] for s in signals}) == 450
    assert [r.query["page"] for r in hetrix_api.requests] == [["1"], ["2"], ["3"]]


async def test_stops_before_a_page_the_rate_limit_would_refuse(
    clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    template = hetrix_api.monitors[1]
    hetrix_api.monitors = [copy.deepcopy(template) | {"id": f"m{i:03}"} for i in range(450)]
    hetrix_api.remaining["endpoint"] = 1
    with pytest.raises(SourceError) as caught:
        await poller(hetrix_api, http, clock).poll()
    assert caught.value.retryable and caught.value.retry_after == pytest.approx(42, abs=1)
    assert len(hetrix_api.requests) == 1  # it did not spend a request on a certain 429


async def test_429_uses_the_ratelimit_reset_headers(
    clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    hetrix_api.remaining["user"] = 0
    with pytest.raises(SourceError) as caught:
        await poller(hetrix_api, http, clock).poll()
    assert caught.value.retryable and caught.value.retry_after == pytest.approx(42, abs=1)
    assert "user api rate limit exceeded" in str(caught.value)


async def test_a_wrong_key_is_permanent_and_says_so(
    clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    with pytest.raises(SourceError) as caught:
        await poller(hetrix_api, http, clock, key="revoked").poll()
    assert not caught.value.retryable
    assert str(caught.value) == "hetrixtools: credentials rejected (401): invalid authorization"


async def test_server_errors_and_timeouts_are_retryable(clock: FakeClock, hetrix_api: HetrixToolsAPI) -> None:
    hetrix_api.fail_with(503, {"status": "service_unavailable", "message": "maintenance"})
    async with httpx.AsyncClient(timeout=0.2) as http:
        with pytest.raises(SourceError, match=r"server error \(503\): maintenance") as caught:
            await poller(hetrix_api, http, clock).poll()
        assert caught.value.retryable
        hetrix_api.failure, hetrix_api.delay = None, 5
        with pytest.raises(SourceError, match="no answer in time"):
            await poller(hetrix_api, http, clock).poll()


async def test_an_answer_of_another_shape_is_a_clear_error(
    clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    # The v1 API answers `[monitors, meta]` arrays; pointing base_url at it must not pass silently.
    hetrix_api.fail_with(200, [[], {"Links": {}}])
    with pytest.raises(SourceError, match="unexpected answer"):
        await poller(hetrix_api, http, clock).poll()


async def test_a_monitor_that_is_down_fires_critical_whatever_its_uptime(
    hub: Hub, clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    # The website goes down; its month's uptime still reads 99.95 %.
    hetrix_api.monitor(0, uptime="99.9500", uptime_status="down")
    supervisor = supervisor_for(hub, poller(hetrix_api, http, clock))
    await supervisor.run_once()
    uptime = await alerts_of(hub, "hetrixtools_uptime")
    assert (uptime[WEBSITE].state, uptime[WEBSITE].severity) == ("firing", "critical")

    hetrix_api.monitor(0, uptime="99.9400", uptime_status="up")
    clock.advance(300)
    await supervisor.run_once()
    assert (await alerts_of(hub, "hetrixtools_uptime"))[WEBSITE].state == "resolved"


async def test_a_down_monitor_without_an_uptime_figure_still_fires(
    clock: FakeClock, hetrix_api: HetrixToolsAPI, http: httpx.AsyncClient
) -> None:
    hetrix_api.monitor(0, uptime="", uptime_status="down")
    signals = await poller(hetrix_api, http, clock).poll()
    [website] = [s for s in signals if s.rule_name == "hetrixtools_uptime" and s.labels["monitor_id"] == WEBSITE]
    assert website.value is None and website.severity is not None and website.severity.value == "critical"
    assert website.annotations["summary"] == "Example Website uptime is unknown"
