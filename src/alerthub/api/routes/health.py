from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.errors import StoreError
from alerthub.store import alerts as alert_store
from alerthub.store import gauges
from alerthub.store.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
@router.head("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    """The process is up. Says nothing about the database: see /readyz."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
@router.head("/readyz", include_in_schema=False)
async def readyz(hub: HubDep) -> JSONResponse:
    """Ready when the database answers and its schema is at the latest migration."""
    try:
        current = await current_revision(hub.db)
    except StoreError as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
    head = head_revision()
    if current != head:
        body = {"status": "migrating", "database": "ok", "schema": current, "expected_schema": head}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "schema": current})


@router.get("/metrics")
async def metrics(hub: HubDep) -> Response:
    now = hub.clock()
    async with hub.db.read() as conn:
        by_state = await alert_store.count_by_state(conn)
        found = await gauges.operator_gauges(conn, now)
    backlog = {
        channel: (b.unsent, (now - b.oldest_due).total_seconds() if b.oldest_due else 0.0)
        for channel, b in found.backlog.items()
    }
    hub.metrics.store.set(backlog, found.open_by_severity, found.active_silences)
    body = hub.metrics.render(by_state)
    if hub.metrics.peers is not None:
        body = await hub.metrics.peers.merged(body)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
