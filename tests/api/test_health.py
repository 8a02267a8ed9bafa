import httpx
from sqlalchemy import text

from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.hub import Hub, build_hub
from alerthub.store.database import Database
from alerthub.store.migrate import head_revision


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_readyz_is_503_when_schema_is_behind(client: httpx.AsyncClient, hub: Hub) -> None:
    async with hub.db.write() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        answer = await client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["status"] == "migrating"
    finally:
        # The PostgreSQL database is shared by the session: leave the schema version as it was.
        async with hub.db.write() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})


async def test_database_away_gives_503_with_retry_after() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    hub = build_hub(Config(), db=Database("postgresql://alerthub@127.0.0.1:1/alerthub"))
    app = create_app(hub, migrate=False, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        body = {"rule_name": "system_disk_high", "metric_data": {"metric_value": 95}}
        answer = await client.post("/api/alerts/send", json=body)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        assert "nothing was stored" in answer.json()["detail"]
    await hub.db.dispose()


async def test_metrics_exposes_signals_alerts_and_latency(client: httpx.AsyncClient) -> None:
    await client.post("/api/alerts/send", json={"rule_name": "system_disk_high", "metric_data": {"metric_value": 95}})
    await client.post("/api/v2/alerts", json=[{"labels": {"alertname": "A"}}, {"labels": {"alertname": "B"}}])
    await client.post("/api/alerts/send", content=b"{", headers={"content-type": "application/json"})
    text_ = (await client.get("/metrics")).text
    assert 'alerthub_signals_received_total{source="api"} 1.0' in text_
    assert 'alerthub_signals_received_total{source="alertmanager"} 2.0' in text_
    assert 'alerthub_alerts{state="firing"} 3.0' in text_
    assert 'alerthub_requests_rejected_total{status="400"} 1.0' in text_
    assert 'alerthub_request_duration_seconds_count{method="POST",route="/api/v2/alerts"} 1.0' in text_
