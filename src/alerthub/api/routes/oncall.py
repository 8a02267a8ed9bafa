"""On call over HTTP: who is on call per schedule, the schedule's calendar feed, and its overrides."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from alerthub.api.body import read_json
from alerthub.api.deps import HubDep
from alerthub.api.params import RowId
from alerthub.api.responses import JSONResponse
from alerthub.domain.clock import utc_text, utc_text_or_none
from alerthub.domain.oncall import OnCallNow, Override
from alerthub.services.oncall import OverrideDraft
from alerthub.validation import Timestamp, validate

router = APIRouter(tags=["on call"])

_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}
ScheduleName = Annotated[str, Path(min_length=1, max_length=100, description="a schedule's name")]
At = Annotated[Timestamp | None, Query(description="answer for this instant instead of now")]


class PostableOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person: Annotated[str, Field(min_length=1, max_length=100)]
    start: Timestamp
    end: Timestamp
    created_by: Annotated[str, Field(min_length=1, max_length=200)] | None = None


def oncall_json(answer: OnCallNow) -> dict[str, Any]:
    return {
        "schedule": answer.schedule,
        "on_call": list(answer.on_call),
        "until": utc_text_or_none(answer.until),
        "next": list(answer.next),
    }


def override_json(o: Override) -> dict[str, Any]:
    return {
        "id": o.id,
        "schedule": o.schedule,
        "person": o.person,
        "start": utc_text(o.starts_at),
        "end": utc_text(o.ends_at),
        "created_by": o.created_by,
        "created_at": utc_text(o.created_at),
    }


@router.get("/api/oncall")
async def on_call(hub: HubDep, at: At = None) -> JSONResponse:
    """One object per schedule: who is on call, until when, and who comes next."""
    return JSONResponse([oncall_json(a) for a in await hub.oncall.now(at)])


@router.get("/api/schedules/{name}.ics", response_class=Response)
async def calendar(name: ScheduleName, hub: HubDep) -> Response:
    """The schedule's shifts from a week ago to eight weeks ahead, overrides applied, as iCalendar."""
    host = urlsplit(hub.config.server.public_url or "").hostname or "alerthub"
    feed = await hub.oncall.calendar(name, host)
    headers = {"Content-Disposition": f'inline; filename="{name}.ics"', "Cache-Control": "no-cache"}
    return Response(feed, media_type="text/calendar; charset=utf-8", headers=headers)


@router.get("/api/schedules/{name}/overrides")
async def list_overrides(name: ScheduleName, hub: HubDep) -> JSONResponse:
    """The schedule's overrides that have not ended, soonest first."""
    return JSONResponse({"overrides": [override_json(o) for o in await hub.oncall.overrides(name)]})


@router.post("/api/schedules/{name}/overrides", status_code=201, openapi_extra=_BODY)
async def add_override(name: ScheduleName, request: Request, hub: HubDep) -> JSONResponse:
    """Put `person` on call in the schedule's place from `start` until `end`."""
    body = validate(PostableOverride, await read_json(request, hub.config.server.max_body_bytes))
    principal = getattr(request.state, "principal", None)
    by = str(principal) if principal else (body.created_by or "api")
    draft = OverrideDraft(name, body.person, body.start, body.end, by)
    return JSONResponse(override_json(await hub.oncall.add_override(draft)), status_code=201)


@router.delete("/api/schedules/{name}/overrides/{override_id}")
async def remove_override(name: ScheduleName, override_id: RowId, hub: HubDep) -> JSONResponse:
    return JSONResponse(override_json(await hub.oncall.remove_override(name, override_id)))
