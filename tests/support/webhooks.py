"""Replaying real webhook payloads: the fixture files, Sentry's signing, and what the store holds."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from alerthub.store.database import Database
from alerthub.store.tables import alert, alert_event

FIXTURES = Path(__file__).parent.parent / "fixtures"
SENTRY_SECRET = "test-client-secret"
SENTRY_TOKEN = "sentry-plugin-token"
HETRIX_TOKEN = "hetrix-contact-list-token"


def fixture_bytes(source: str, name: str) -> bytes:
    return (FIXTURES / source / name).read_bytes()


def fixture(source: str, name: str) -> Any:
    return json.loads(fixture_bytes(source, name))


def sentry_webhook_fixtures() -> list[str]:
    """Every Sentry webhook body in the fixtures (the `api_*` files are REST responses, for the poller)."""
    return sorted(p.name for p in (FIXTURES / "sentry").glob("*.json") if not p.name.startswith("api_"))


def compact(data: Any) -> bytes:
    """The body as Sentry sends it: compact separators, non-ASCII escaped."""
    return json.dumps(data, separators=(",", ":")).encode()


def sign(body: bytes, secret: str = SENTRY_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def resource_of(name: str) -> str:
    """`issue.created.captured_2020.json` -> `issue`."""
    return name.split(".", 1)[0]


async def post_sentry(
    client: httpx.AsyncClient, resource: str, body: bytes, *, secret: str | None = SENTRY_SECRET, **headers: str | bytes
) -> httpx.Response:
    sent: dict[str, str | bytes] = {
        "Content-Type": "application/json",
        "Sentry-Hook-Resource": resource,
        "Request-ID": "0" * 32,
    }
    sent["Sentry-Hook-Timestamp"] = "1735732800"
    if secret is not None:
        sent["Sentry-Hook-Signature"] = sign(body, secret)
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    return await client.post("/webhooks/sentry", content=body, headers=sent)


async def store_counts(db: Database) -> tuple[int, int]:
    """(alerts, history rows): unchanged after a refused request."""
    async with db.read() as conn:
        alerts = (await conn.execute(select(func.count()).select_from(alert))).scalar_one()
        events = (await conn.execute(select(func.count()).select_from(alert_event))).scalar_one()
    return alerts, events


async def alerts_of(client: httpx.AsyncClient, rule: str) -> list[dict[str, Any]]:
    answer = await client.get("/api/alerts", params={"rule": rule})
    assert answer.status_code == 200, answer.text
    alerts: list[dict[str, Any]] = answer.json()["alerts"]
    return alerts
