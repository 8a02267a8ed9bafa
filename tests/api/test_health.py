from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from alerthub import __version__
from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.domain import recurrence
from alerthub.domain.silence import Silence
from alerthub.hub import Hub, build_hub
from alerthub.store import silences
from alerthub.store.database import Database
from alerthub.store.migrate import head_revision
from support.clock import FakeClock
from support.outbox_rows import add_alert, enqueue, payload


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    assert [(await client.head(p)).status_code for p in ("/healthz", "/readyz")] == [200, 200]


async def test_readyz_is_503_when_schema_is_behind(client: httpx.AsyncClient, hub: Hub) -> None:
    async with hub.db.write() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        answer = await client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["status"] == "migrating"
        assert (await client.head("/readyz")).status_code == 503  # a probe sending HEAD hears the same
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


async def test_metrics_parse_and_carry_what_an_operator_watches(
    client: httpx.AsyncClient, hub: Hub, clock: FakeClock
) -> None:
    """Scraped from the app and read with Prometheus's own parser: the outbox backlog and its oldest due
    row, open alerts by severity, silences in effect, the build and the process collectors."""
    await client.post("/api/alerts/send", json={"rule_name": "system_disk_high", "metric_data": {"metric_value": 95}})
    alert = await add_alert(hub.db, clock(), severity="warning")
    await enqueue(hub.db, clock(), "discord", payload(alert))
    async with hub.db.write() as conn:
        await silences.add(conn, Silence("s1", (), clock(), clock() + timedelta(hours=1), "ops", "", clock(), clock()))
        # Every day for an hour from three hours ago: in its series, but muting nothing now.
        since = clock() - timedelta(hours=3)
        daily = recurrence.parse("FREQ=DAILY", timedelta(hours=1), "UTC", since)
        between = Silence("s2", (), since, clock() + timedelta(days=30), "ops", "", since, since, recurrence=daily)
        await silences.add(conn, between)
    clock.advance(75)
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }
    assert samples[("alerthub_outbox_backlog", (("channel", "discord"),))] == 1
    assert samples[("alerthub_outbox_oldest_due_age_seconds", (("channel", "discord"),))] == 75
    assert samples[("alerthub_open_alerts", (("severity", "warning"),))] == 1
    assert samples[("alerthub_open_alerts", (("severity", "high"),))] >= 1  # the disk alert
    assert samples[("alerthub_open_alerts", (("severity", "info"),))] == 0
    assert samples[("alerthub_silences_active", ())] == 1  # not the recurring one between its occurrences
    assert samples[("alerthub_build_info", (("version", __version__),))] == 1
    names = {name for name, _ in samples}
    assert {"process_resident_memory_bytes", "python_info", "python_gc_collections_total"} <= names
    # A drained channel leaves the backlog rather than reporting its last value.
    async with hub.db.write() as conn:
        await conn.execute(text("UPDATE notification SET status = 'sent'"))
    after = (await client.get("/metrics")).text
    assert "alerthub_outbox_backlog{" not in after and "alerthub_outbox_oldest_due_age_seconds{" not in after
