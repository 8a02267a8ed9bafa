"""Dead man's switches: `curl -fsS hub/api/heartbeats/backup` at the end of a cron job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.config.durations import parse_duration
from alerthub.domain.clock import utc_text_or_none
from alerthub.errors import InputError, Problem
from alerthub.services.heartbeats import HeartbeatView

router = APIRouter(tags=["heartbeats"])

Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,200}$", description="letters, digits, _ . -")]
DurationText = Annotated[str | None, Query(max_length=50, description="30s, 5m, 1h, or seconds")]


@router.get("/api/heartbeats")
async def list_heartbeats(hub: HubDep) -> JSONResponse:
    views = await hub.heartbeats.overview()
    return JSONResponse({"heartbeats": [heartbeat_json(v) for v in views]})


@router.post("/api/heartbeats/{name}")
async def ping_heartbeat(
    name: Name, hub: HubDep, expect_every: DurationText = None, grace: DurationText = None
) -> JSONResponse:
    """A ping. The first ping of a name not in `heartbeats[]` must say `?expect_every=` (and may say `&grace=`)."""
    view = await hub.heartbeats.ping(
        name, _duration("expect_every", expect_every), _duration("grace", grace, allow_zero=True)
    )
    return JSONResponse(heartbeat_json(view))


@router.get("/api/heartbeats/{name}")
async def ping_heartbeat_get(
    name: Name, hub: HubDep, expect_every: DurationText = None, grace: DurationText = None
) -> JSONResponse:
    """The same ping as POST, for one-liners that can only GET (`curl URL`, `wget -q URL`)."""
    return await ping_heartbeat(name, hub, expect_every, grace)


@router.delete("/api/heartbeats/{name}", status_code=204)
async def delete_heartbeat(name: Name, hub: HubDep) -> Response:
    """Forget a heartbeat created by a ping (configured ones are removed from the configuration)."""
    await hub.heartbeats.delete(name)
    return Response(status_code=204)


def _duration(key: str, text: str | None, *, allow_zero: bool = False) -> timedelta | None:
    if text is None:
        return None
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise InputError(f"query.{key}: {exc}", [Problem(f"query.{key}", str(exc))]) from None
    if not allow_zero and value <= timedelta(0):
        raise InputError(f"query.{key} must be longer than zero", [Problem(f"query.{key}", "must be > 0")])
    return value


def _ts(value: datetime | None) -> str | None:
    return utc_text_or_none(value)


def heartbeat_json(view: HeartbeatView) -> dict[str, Any]:
    beat = view.beat
    return {
        "name": beat.name,
        "status": view.status.value,
        "origin": view.origin.value,
        "expect_every": beat.expect_every.total_seconds(),
        "grace": beat.grace.total_seconds(),
        "labels": beat.labels,
        "last_ping_at": _ts(beat.last_ping_at),
        "due_at": _ts(beat.due_at),
        "missing_at": _ts(beat.missing_at),
        "created_at": _ts(beat.created_at),
    }
