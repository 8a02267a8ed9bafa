"""Dead man's switches driven by the injected clock: one `check_once(now)` per step, no sleeping."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.domain.heartbeat import HeartbeatStatus
from alerthub.errors import ConflictError, NotFoundError
from alerthub.hub import Hub
from alerthub.services.heartbeats import HeartbeatService, alert_fingerprint
from alerthub.store.alerts import load_by_fingerprints
from support.clock import FakeClock
from support.webhooks import fixture_bytes, post_sentry

SETTINGS: dict[str, Any] = {
    "heartbeats": [{"name": "backup", "expect_every": "1h", "grace": "10m", "labels": {"team": "ops"}}],
    "integrations": {"sentry": {"webhook_secret": "test-client-secret", "expect_every": "1h"}},
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(SETTINGS)


@pytest.fixture
def service(hub: Hub) -> HeartbeatService:
    return hub.heartbeats


async def missing_alert(hub: Hub, name: str) -> Any:
    async with hub.db.read() as conn:
        found = await load_by_fingerprints(conn, [alert_fingerprint(name)])
    return next(iter(found.values()), None)


async def test_a_configured_heartbeat_that_never_pings_fires_once_after_its_promise(
    hub: Hub, service: HeartbeatService, clock: FakeClock
) -> None:
    assert await service.check_once(clock()) == []
    clock.advance(minutes=70)  # inside expect_every + grace
    assert [s for s in await service.check_once(clock()) if s.labels["heartbeat"] == "backup"] == []
    clock.advance(minutes=1, seconds=1)
    [signal] = [s for s in await service.check_once(clock()) if s.labels["heartbeat"] == "backup"]
    assert signal.labels == {"team": "ops", "heartbeat": "backup"}
    assert signal.annotations["summary"] == (
        "heartbeat backup has never pinged (1h 11m since set-up); expected every 1h + 10m grace"
    )
    alert = await missing_alert(hub, "backup")
    assert (alert.rule_name, alert.state.value, alert.severity.value) == ("heartbeat_missing", "firing", "high")
    clock.advance(minutes=5)
    assert [s for s in await service.check_once(clock()) if s.labels["heartbeat"] == "backup"] == []
    assert (await missing_alert(hub, "backup")).count == 1


async def test_the_next_ping_resolves_at_once(hub: Hub, service: HeartbeatService, clock: FakeClock) -> None:
    await service.check_once(clock())
    clock.advance(hours=2)
    await service.check_once(clock())
    assert (await missing_alert(hub, "backup")).state.value == "firing"
    view = await service.ping("backup")
    assert view.status is HeartbeatStatus.UP
    alert = await missing_alert(hub, "backup")
    assert alert.state.value == "resolved"
    assert alert.annotations["summary"].startswith("heartbeat backup is back")
    assert [s for s in await service.check_once(clock()) if s.labels["heartbeat"] == "backup"] == []


async def test_a_heartbeat_defined_by_its_first_ping(hub: Hub, service: HeartbeatService, clock: FakeClock) -> None:
    view = await service.ping("nightly", timedelta(minutes=5), timedelta(minutes=1))
    assert (view.status, view.origin.value) == (HeartbeatStatus.UP, "ping")
    clock.advance(minutes=5, seconds=30)
    [late] = [v for v in await service.overview() if v.beat.name == "nightly"]
    assert late.status is HeartbeatStatus.LATE
    assert [s for s in await service.check_once(clock()) if s.labels["heartbeat"] == "nightly"] == []
    clock.advance(seconds=31)
    [signal] = [s for s in await service.check_once(clock()) if s.labels["heartbeat"] == "nightly"]
    assert signal.value == pytest.approx(61)
    # Later pings need not repeat the interval.
    assert (await service.ping("nightly")).beat.expect_every == timedelta(minutes=5)
    assert (await missing_alert(hub, "nightly")).state.value == "resolved"


async def test_an_unknown_heartbeat_needs_an_interval(service: HeartbeatService) -> None:
    with pytest.raises(NotFoundError, match="expect_every"):
        await service.ping("never-heard-of")


async def test_the_configuration_wins_over_a_pinged_interval(service: HeartbeatService) -> None:
    view = await service.ping("backup", timedelta(seconds=1))
    assert (view.beat.expect_every, view.origin.value) == (timedelta(hours=1), "config")


async def test_deleting_a_pinged_heartbeat_resolves_its_alert(
    hub: Hub, service: HeartbeatService, clock: FakeClock
) -> None:
    await service.ping("tmp", timedelta(minutes=1))
    clock.advance(minutes=2)
    await service.check_once(clock())
    assert (await missing_alert(hub, "tmp")).state.value == "firing"
    await service.delete("tmp")
    assert (await missing_alert(hub, "tmp")).state.value == "resolved"
    assert "tmp" not in [v.beat.name for v in await service.overview()]
    with pytest.raises(ConflictError):
        await service.delete("backup")
    with pytest.raises(NotFoundError):
        await service.delete("tmp")


async def test_a_changed_interval_in_config_is_applied_on_the_next_check(
    hub: Hub, service: HeartbeatService, clock: FakeClock
) -> None:
    await service.check_once(clock())
    longer = Config.model_validate({**SETTINGS, "heartbeats": [{"name": "backup", "expect_every": "1d"}]})
    relaxed = HeartbeatService(hub.db, hub.clock, hub.ingest, longer, hub.metrics)
    clock.advance(hours=3)
    assert [s for s in await relaxed.check_once(clock()) if s.labels.get("heartbeat") == "backup"] == []
    [view] = [v for v in await relaxed.overview() if v.beat.name == "backup"]
    assert view.beat.expect_every == timedelta(days=1)


async def test_a_silent_webhook_source_raises_the_same_alert(
    hub: Hub, client: httpx.AsyncClient, service: HeartbeatService, clock: FakeClock
) -> None:
    body = fixture_bytes("sentry", "comment.created.json")
    assert (await post_sentry(client, "comment", body)).status_code == 200
    clock.advance(minutes=59)
    assert [s for s in await service.check_once(clock()) if s.labels["heartbeat"] == "webhook:sentry"] == []
    # A refused request is not a sign of life from Sentry.
    assert (await post_sentry(client, "comment", body, secret="wrong")).status_code == 401
    clock.advance(minutes=2)
    [signal] = [s for s in await service.check_once(clock()) if s.labels["heartbeat"] == "webhook:sentry"]
    assert signal.labels == {"webhook": "sentry", "heartbeat": "webhook:sentry"}
    assert signal.annotations["summary"].startswith("webhook source sentry has not pinged for 1h 1m")
    assert (await post_sentry(client, "comment", body)).status_code == 200
    assert (await missing_alert(hub, "webhook:sentry")).state.value == "resolved"


async def test_the_checker_loop_counts_an_error_and_stops_cleanly(
    hub: Hub, service: HeartbeatService, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = asyncio.Event()

    async def broken(now: object) -> list[object]:
        stop.set()
        raise RuntimeError("database on fire")

    monkeypatch.setattr(service, "check_once", broken)
    await asyncio.wait_for(service.run(stop), timeout=5)
    assert hub.metrics.loop_errors.labels("heartbeats")._value.get() == 1
    assert "heartbeats" in hub.background


async def test_one_instance_checks_at_a_time_and_another_takes_over(
    service: HeartbeatService, clock: FakeClock
) -> None:
    assert await service.lead("instance-a", clock())
    assert not await service.lead("instance-b", clock())
    clock.advance(seconds=15)
    assert await service.lead("instance-a", clock())  # renewed by its holder
    clock.advance(seconds=31)
    assert await service.lead("instance-b", clock())
    assert not await service.lead("instance-a", clock())
