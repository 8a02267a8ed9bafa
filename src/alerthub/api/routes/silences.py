"""Silences over HTTP. The body is Alertmanager's postableSilence, and `/api/v2/silences` and
`/api/v2/silence/{id}` answer as Alertmanager does, so amtool and Grafana can manage them too."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from alerthub.api.body import read_json
from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.config.durations import Duration
from alerthub.domain.clock import utc_text
from alerthub.domain.durations import format_duration
from alerthub.domain.recurrence import Recurrence, RecurrenceError, parse
from alerthub.domain.silence import LabelMatcher, Silence, SilenceState
from alerthub.errors import InputError, Problem
from alerthub.hub import Hub
from alerthub.services.am_filters import parse_filters, silence_matches
from alerthub.services.silences import SilenceDraft, SilenceService
from alerthub.validation import Timestamp, validate

router = APIRouter(tags=["silences"])

_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}


class MatcherBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    value: Annotated[str, Field(max_length=1000)]
    isRegex: bool = False  # Alertmanager's field names
    isEqual: bool = True


# Alertmanager's labelSet: free text, shown with the silence (newer amtool and Grafana send it).
Annotations = Annotated[
    dict[Annotated[StrictStr, Field(min_length=1, max_length=200)], Annotated[StrictStr, Field(max_length=2000)]],
    Field(max_length=50),
]


class RecurrenceBody(BaseModel):
    """Every occurrence of a recurring silence: an iCalendar RRULE (`FREQ=WEEKLY;BYDAY=SU`) from `startsAt`
    (the first occurrence's start), each lasting `duration`, on `timeZone`'s clock."""

    model_config = ConfigDict(extra="forbid")

    rrule: Annotated[str, Field(min_length=6, max_length=500)]
    duration: Duration
    timeZone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"


class PostableSilence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    matchers: Annotated[list[MatcherBody], Field(min_length=1, max_length=50)]
    startsAt: Timestamp
    endsAt: Timestamp
    createdBy: Annotated[str, Field(min_length=1, max_length=200)]
    comment: Annotated[str, Field(min_length=1, max_length=2000)]
    annotations: Annotations | None = None
    recurrence: RecurrenceBody | None = None  # alerthub's: a silence that comes back on a schedule


def _service(hub: Hub) -> SilenceService:
    return SilenceService(hub.db, hub.clock)


def _ts(value: Any) -> str:
    return utc_text(value)


def silence_json(s: Silence, hub: Hub, *, alertmanager: bool = False) -> dict[str, Any]:
    """Alertmanager's gettableSilence. A recurring silence shows Alertmanager's clients (amtool, Grafana)
    its current or next occurrence as `startsAt`/`endsAt`; alerthub's own API adds `recurrence` with the
    series' span and that occurrence."""
    now = hub.clock()
    window = s.window(now) or (s.starts_at, s.ends_at)
    starts, ends = window if alertmanager and s.recurrence else (s.starts_at, s.ends_at)
    body: dict[str, Any] = {
        "id": s.id,
        "status": {"state": s.state(now).value},
        "updatedAt": _ts(s.updated_at),
        "matchers": [
            {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal} for m in s.matchers
        ],
        "startsAt": _ts(starts),
        "endsAt": _ts(ends),
        "createdBy": s.created_by,
        "comment": s.comment,
        "annotations": dict(s.annotations),
    }
    if not alertmanager:
        body["recurrence"] = _recurrence_json(s, window) if s.recurrence else None
    return body


def _recurrence_json(s: Silence, window: tuple[Any, Any]) -> dict[str, Any]:
    assert s.recurrence is not None
    return {
        "rrule": s.recurrence.rrule,
        "duration": format_duration(s.recurrence.duration),
        "timeZone": s.recurrence.time_zone,
        "occurrence": {"startsAt": _ts(window[0]), "endsAt": _ts(window[1])},
    }


async def _save(request: Request, hub: Hub) -> Silence:
    body = validate(PostableSilence, await read_json(request, hub.config.server.max_body_bytes))
    draft = SilenceDraft(
        matchers=tuple(LabelMatcher(m.name, m.value, m.isRegex, m.isEqual) for m in body.matchers),
        starts_at=body.startsAt,
        ends_at=body.endsAt,
        created_by=body.createdBy,
        comment=body.comment,
        id=body.id,
        annotations=dict(body.annotations or {}),
        recurrence=_recurrence(body),
    )
    return await _service(hub).save(draft)


def _recurrence(body: PostableSilence) -> Recurrence | None:
    if body.recurrence is None:
        return None
    given = body.recurrence
    try:
        return parse(given.rrule, given.duration, given.timeZone, body.startsAt)
    except RecurrenceError as exc:
        where = f"body.recurrence.{exc.where}"
        raise InputError(f"invalid recurrence: {where}: {exc}", [Problem(where, str(exc))]) from None


StateQuery = Annotated[list[SilenceState] | None, Query(description="pending, active or expired; repeatable")]


@router.get("/api/silences")
async def list_silences(hub: HubDep, state: StateQuery = None) -> JSONResponse:
    found = await _service(hub).list(state or ())
    return JSONResponse({"silences": [silence_json(s, hub) for s in found]})


@router.post("/api/silences", openapi_extra=_BODY)
async def post_silence(request: Request, hub: HubDep) -> JSONResponse:
    """Create a silence (or change the one `id` names). Answers Alertmanager's `{"silenceID"}` plus the silence."""
    saved = await _save(request, hub)
    return JSONResponse({"silenceID": saved.id, "silence": silence_json(saved, hub)})


@router.get("/api/silences/{silence_id}")
async def get_silence(silence_id: str, hub: HubDep) -> JSONResponse:
    return JSONResponse(silence_json(await _service(hub).get(silence_id), hub))


@router.delete("/api/silences/{silence_id}")
async def expire_silence(silence_id: str, hub: HubDep) -> JSONResponse:
    """Expire the silence now; it stays listed as expired."""
    return JSONResponse(silence_json(await _service(hub).expire(silence_id), hub))


FilterQuery = Annotated[
    list[str] | None, Query(alias="filter", description='a matcher such as alertname="X"; repeatable')
]


@router.get("/api/v2/silences", tags=["alertmanager"])
async def am_list_silences(
    hub: HubDep, filters: FilterQuery = None, active: bool = True, pending: bool = True, expired: bool = True
) -> JSONResponse:
    """Alertmanager's list: a silence is shown when each `filter` matcher is one of its own matchers."""
    shown = {SilenceState.ACTIVE: active, SilenceState.PENDING: pending, SilenceState.EXPIRED: expired}
    found = await _am_silences(hub, filters or [], shown)
    return JSONResponse([silence_json(s, hub, alertmanager=True) for s in found])


async def _am_silences(hub: Hub, filters: list[str], shown: dict[SilenceState, bool]) -> list[Silence]:
    matchers = parse_filters(filters)
    states = [state for state, wanted in shown.items() if wanted]
    if not states:
        return []
    return [s for s in await _service(hub).list(states) if silence_matches(s, matchers)]


@router.post("/api/v2/silences", tags=["alertmanager"], openapi_extra=_BODY)
async def am_post_silence(request: Request, hub: HubDep) -> JSONResponse:
    saved = await _save(request, hub)
    return JSONResponse({"silenceID": saved.id})


@router.get("/api/v2/silence/{silence_id}", tags=["alertmanager"])
async def am_get_silence(silence_id: str, hub: HubDep) -> JSONResponse:
    return JSONResponse(silence_json(await _service(hub).get(silence_id), hub, alertmanager=True))


@router.delete("/api/v2/silence/{silence_id}", tags=["alertmanager"])
async def am_expire_silence(silence_id: str, hub: HubDep) -> JSONResponse:
    await _service(hub).expire(silence_id)
    return JSONResponse({})
