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
