import httpx

from alerthub.hub import Hub
from alerthub.services.sweeper import Sweeper
from support.clock import FakeClock


async def test_alert_not_resent_before_ends_at_resolves(client: httpx.AsyncClient, hub: Hub, clock: FakeClock) -> None:
    await client.post("/api/v2/alerts", json=[{"labels": {"alertname": "Scrape", "job": "a"}}])
    kept = {"labels": {"alertname": "Scrape", "job": "b"}}
    sweeper = Sweeper(hub.db, clock, hub.hooks, hub.metrics)
    clock.advance(minutes=4)
    await client.post("/api/v2/alerts", json=[kept])  # re-sent: its end moves 5 minutes on
    assert await sweeper.sweep_once() == 0
    clock.advance(minutes=2)
    assert await sweeper.sweep_once() == 1
    states = {a["labels"]["job"]: a["state"] for a in (await client.get("/api/alerts")).json()["alerts"]}
    assert states == {"a": "resolved", "b": "firing"}
    [first] = [a for a in (await client.get("/api/alerts")).json()["alerts"] if a["labels"]["job"] == "a"]
    trace = (await client.get(f"/api/alerts/{first['id']}")).json()["history"]
    assert trace[-1]["actor"] == "rule:ends_at"


async def test_seed_alerts_without_ends_at_are_left_alone(
    client: httpx.AsyncClient, hub: Hub, clock: FakeClock
) -> None:
    await client.post("/api/alerts/send", json={"rule_name": "system_disk_high", "metric_data": {"metric_value": 95}})
    clock.advance(days=1)
    assert await Sweeper(hub.db, clock, hub.hooks, hub.metrics).sweep_once() == 0


CPU = {"rule_name": "system_cpu_high", "metric_data": {"metric_value": 95}, "labels": {"host": "web-1"}}


async def test_a_pending_alert_nobody_refreshes_is_dropped_with_a_history_line(
    client: httpx.AsyncClient, hub: Hub, clock: FakeClock
) -> None:
    """system_cpu_high waits 2m before firing; one sample and no more must not stay pending for ever."""
    sweeper = Sweeper(hub.db, clock, hub.hooks, hub.metrics, hub.rules)
    alert_id = (await client.post("/api/alerts/send", json=CPU)).json()["alert_id"]
    clock.advance(minutes=3, seconds=59)
    assert await sweeper.sweep_once() == 0, "not before twice its for"
    clock.advance(seconds=2)
    assert await sweeper.sweep_once() == 1
    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    assert detail["state"] == "resolved"
    last = detail["history"][-1]
    assert last["actor"] == "rule:for"
    assert last["reason"] == "dropped while pending: no sample for 4m 1s, twice its for (2m); it never fired"
    assert (await client.get("/api/notifications")).json()["notifications"] == [], "it never fired: nobody is told"


async def test_refreshed_pending_and_firing_alerts_are_left_alone(
    client: httpx.AsyncClient, hub: Hub, clock: FakeClock
) -> None:
    sweeper = Sweeper(hub.db, clock, hub.hooks, hub.metrics, hub.rules)
    for _ in range(4):  # the seed's monitor samples every minute while the CPU stays high
        assert (await client.post("/api/alerts/send", json=CPU)).status_code == 202
        clock.advance(minutes=1)
    clock.advance(minutes=10)  # then stops: the firing alert waits for its recovery, as before
    assert await sweeper.sweep_once() == 0
    [alert] = (await client.get("/api/alerts")).json()["alerts"]
    assert alert["state"] == "firing"
