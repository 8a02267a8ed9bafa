from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.api.routes.heartbeats import heartbeat_json
from alerthub.domain.clock import utc_text_or_none
from alerthub.domain.signal_log import SourceActivity
from alerthub.services.monitoring import MonitorStatus, monitoring_status, planned_monitors, source_activity

router = APIRouter(tags=["monitoring"])


@router.get("/api/monitoring/status")
async def status(hub: HubDep) -> JSONResponse:
    """The seed's shape (`active_monitors`, `monitor_types`, `status`) plus each poller's last run,
    last success, last error and next run, so a broken API key shows here; every heartbeat (as
    `GET /api/heartbeats` lists them); and each source that sent a signal the log keeps, with its last
    signal and how many in the last 24 hours, so a sender that went quiet shows too."""
    _, monitors = await monitoring_status(hub.db, planned_monitors(hub.config))
    beats = await hub.heartbeats.overview()
    sources = await source_activity(hub.db, hub.clock())
    return JSONResponse(
        {
            "active_monitors": len(monitors),
            "monitor_types": [m.kind for m in monitors],
            "status": "running",
            "failing_monitors": sum(1 for m in monitors if not m.healthy),
            "monitors": [_monitor_json(m) for m in monitors],
            "heartbeats": [heartbeat_json(b) for b in beats],
            "sources": [_source_json(s) for s in sources],
        }
    )


def _monitor_json(m: MonitorStatus) -> dict[str, object]:
    return {
        "name": m.name,
        "kind": m.kind,
        "interval_seconds": m.interval_seconds,
        "last_run": _iso(m.last_run),
        "last_success": _iso(m.last_success),
        "last_error": m.last_error,
        "last_error_at": _iso(m.last_error_at),
        "next_run": _iso(m.next_run),
        "consecutive_failures": m.consecutive_failures,
        "healthy": m.healthy,
    }


def _source_json(s: SourceActivity) -> dict[str, object]:
    return {"source": s.source, "last_received_at": _iso(s.last_received_at), "received_24h": s.received_since}


def _iso(value: datetime | None) -> str | None:
    return utc_text_or_none(value)
