from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from alerthub.api.body import check_json_type, read_body
from alerthub.api.deps import HubDep
from alerthub.api.params import RowId, Since
from alerthub.api.responses import JSONResponse
from alerthub.api.serialize import alert_json, escalation_json, event_json, mute_json, notification_json
from alerthub.domain.alert import AlertState, EventKind
from alerthub.domain.severity import Severity
from alerthub.errors import InputError, Problem
from alerthub.store.alert_queries import AlertFilter
from alerthub.validation import parse_json, validate

router = APIRouter(tags=["alerts"])
# What `history` shows: what happened to the alert and the changes reported around it (the pipeline's
# decisions and deliveries are in /trace).
_TIMELINE = (EventKind.TRANSITION, EventKind.SEVERITY, EventKind.CHANGE, EventKind.COMMENT, EventKind.FLAPPING)


class CommentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
    by: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    comment: Annotated[str, Field(max_length=2000)] = ""


@router.get("/api/alerts")
async def list_alerts(
    hub: HubDep,
    state: Annotated[list[AlertState] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    rule: Annotated[list[str] | None, Query()] = None,
    source: Annotated[list[str] | None, Query()] = None,
    label: Annotated[list[str] | None, Query(description="k:v, repeatable")] = None,
    since: Since = None,
    flapping: Annotated[bool | None, Query(description="true: only alerts in a flapping spell")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    flt = AlertFilter(
        states=tuple(s.value for s in state or ()),
        severities=tuple(s.value for s in severity or ()),
        rules=tuple(rule or ()),
        sources=tuple(source or ()),
        labels=tuple(_label_pair(item) for item in label or ()),
        since=since,
        flapping=flapping,
    )
    alerts, next_cursor = await hub.alerts.list(flt, limit=limit, cursor=cursor)
    muted = await hub.alerts.mutes(alerts)
    listed = [alert_json(a) | {"muted": mute_json(muted.get(a.id or 0))} for a in alerts]
    return JSONResponse({"alerts": listed, "next_cursor": next_cursor})


@router.get("/api/alerts/{alert_id}")
async def get_alert(alert_id: RowId, hub: HubDep) -> JSONResponse:
    detail = await hub.alerts.get(alert_id)
    body: dict[str, Any] = alert_json(detail.alert)
    body["muted"] = mute_json(detail.muting)
    body["history"] = [event_json(e) for e in detail.history if e.kind in _TIMELINE]
    body["notifications"] = [notification_json(n) for n in detail.notifications]
    body["escalations"] = [escalation_json(e) for e in detail.escalations]
    body["raw"] = detail.alert.raw
    return JSONResponse(body)


@router.get("/api/alerts/{alert_id}/trace")
async def trace_alert(alert_id: RowId, hub: HubDep) -> JSONResponse:
    """Every decision about the alert in order: transitions, routing, grouping, muting, each delivery attempt."""
    detail = await hub.alerts.trace(alert_id)
    return JSONResponse({"alert_id": alert_id, "trace": [event_json(e) for e in detail.history]})


@router.post("/api/alerts/{alert_id}/ack")
async def ack_alert(alert_id: RowId, request: Request, hub: HubDep) -> JSONResponse:
    body = await _action_body(request, hub.config.server.max_body_bytes)
    alert = await hub.alerts.acknowledge(alert_id, _actor(request, body), body.comment)
    return JSONResponse(alert_json(alert))


@router.post("/api/alerts/{alert_id}/resolve")
async def resolve_alert(alert_id: RowId, request: Request, hub: HubDep) -> JSONResponse:
    body = await _action_body(request, hub.config.server.max_body_bytes)
    alert = await hub.alerts.resolve(alert_id, _actor(request, body), body.comment)
    return JSONResponse(alert_json(alert))


@router.post("/api/alerts/{alert_id}/comments", status_code=201)
async def comment_alert(alert_id: RowId, request: Request, hub: HubDep) -> JSONResponse:
    """A note in the alert's history: `{"text": "...", "by": "..."}` (`by` only where no login says who)."""
    raw = await read_body(request, hub.config.server.max_body_bytes)
    check_json_type(request)
    body = validate(CommentBody, parse_json(raw))
    principal = getattr(request.state, "principal", None)
    event = await hub.alerts.comment(alert_id, str(principal) if principal else (body.by or "api"), body.text)
    return JSONResponse(event_json(event) | {"alert_id": alert_id}, status_code=201)


async def _action_body(request: Request, max_bytes: int) -> ActionBody:
    raw = await read_body(request, max_bytes)
    if not raw.strip():
        return ActionBody()
    check_json_type(request)
    return validate(ActionBody, parse_json(raw))


def _actor(request: Request, body: ActionBody) -> str:
    principal = getattr(request.state, "principal", None)
    return str(principal) if principal else (body.by or "api")


def _label_pair(item: str) -> tuple[str, str]:
    name, sep, value = item.partition(":")
    if not sep or not name:
        raise InputError(f"label filter {item!r} must be name:value", [Problem("query.label", "must be name:value")])
    return name, value
