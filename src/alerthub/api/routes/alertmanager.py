"""Alertmanager's API v2, read side, and its health paths, answered as Alertmanager's OpenAPI definition
says, so amtool, Grafana and dashboards such as karma read alerthub as they read an Alertmanager.
(Posting alerts is api/routes/ingest.py; silences are api/routes/silences.py.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.api.routes.health import readyz
from alerthub.domain.clock import utc_text
from alerthub.hub import Hub
from alerthub.services.am_alerts import AlertmanagerView, AlertQuery, AmAlert
from alerthub.services.am_filters import parse_filters, receiver_filter
from alerthub.services.am_status import StatusService

router = APIRouter(tags=["alertmanager"])

# Alertmanager writes Go's zero time where an alert has no known end.
NO_END = "0001-01-01T00:00:00Z"

Filters = Annotated[
    list[str] | None, Query(alias="filter", description='a matcher such as alertname="X" or severity=~"high|critical"')
]
Receiver = Annotated[str | None, Query(description="a regex the whole receiver name must match", max_length=1000)]


def _view(hub: Hub) -> AlertmanagerView:
    return AlertmanagerView(hub.db, hub.clock, hub.pipeline.setup)


def alert_json(v: AmAlert) -> dict[str, Any]:
    a = v.alert
    return {
        "labels": v.labels,
        "annotations": v.annotations,
        "startsAt": utc_text(a.first_seen),
        "endsAt": utc_text(a.ends_at) if a.ends_at else NO_END,
        "updatedAt": utc_text(a.last_seen),
        "fingerprint": a.fingerprint,
        "generatorURL": v.generator_url,
        "receivers": [{"name": name} for name in v.receivers],
        "status": {
            "state": v.state.value,
            "silencedBy": list(v.silenced_by),
            "inhibitedBy": list(v.inhibited_by),
            "mutedBy": list(v.muted_by),
        },
    }


@router.get("/api/v2/alerts")
async def get_alerts(
    hub: HubDep,
    filters: Filters = None,
    receiver: Receiver = None,
    active: bool = True,
    silenced: bool = True,
    inhibited: bool = True,
    unprocessed: bool = True,
) -> JSONResponse:
    """The open alerts (pending, firing, acknowledged) as Alertmanager's gettableAlerts."""
    matchers, pattern = parse_filters(filters or []), receiver_filter(receiver)
    query = AlertQuery(matchers, pattern, active, silenced, inhibited, unprocessed)
    return JSONResponse([alert_json(v) for v in await _view(hub).alerts(query)])


@router.get("/api/v2/alerts/groups")
async def get_alert_groups(
    hub: HubDep,
    filters: Filters = None,
    receiver: Receiver = None,
    active: bool = True,
    silenced: bool = True,
    inhibited: bool = True,
    muted: bool = True,
) -> JSONResponse:
    """Each alert group the pipeline made, with its open alerts that pass the filters."""
    query = AlertQuery(
        parse_filters(filters or []), receiver_filter(receiver), active, silenced, inhibited, True, muted
    )
    groups = await _view(hub).groups(query)
    return JSONResponse(
        [
            {
                "labels": g.labels,
                "routeLabels": {},  # alerthub's routes carry no labels of their own
                "receiver": {"name": g.receiver},
                "alerts": [alert_json(v) for v in g.alerts],
            }
            for g in groups
        ]
    )


@router.get("/api/v2/receivers")
async def get_receivers(hub: HubDep) -> JSONResponse:
    return JSONResponse([{"name": name} for name in _view(hub).receivers()])


@router.get("/api/v2/status")
async def get_status(hub: HubDep) -> JSONResponse:
    """The running configuration (secrets as `<secret>`), version, start time and the instances at work."""
    status = await StatusService(hub.db, hub.clock, hub.config).status()
    return JSONResponse(
        {
            "cluster": {
                "name": status.name,
                "status": "ready",
                "peers": [{"name": p.name, "address": p.address} for p in status.peers],
            },
            "config": {"original": status.original},
            "versionInfo": status.version,
            "uptime": utc_text(status.started_at),
        }
    )


@router.get("/-/healthy", tags=["health"], response_class=PlainTextResponse)
@router.head("/-/healthy", include_in_schema=False)
async def healthy() -> PlainTextResponse:
    """Alertmanager's liveness path: the same answer as /healthz, as Alertmanager's plain text."""
    return PlainTextResponse("OK")


@router.get("/-/ready", tags=["health"], response_class=PlainTextResponse)
@router.head("/-/ready", include_in_schema=False)
async def ready(hub: HubDep) -> PlainTextResponse:
    """Alertmanager's readiness path: what /readyz says (database reachable, schema current), as text."""
    answer = await readyz(hub)
    if answer.status_code == 200:
        return PlainTextResponse("OK")
    return PlainTextResponse(bytes(answer.body).decode(), status_code=answer.status_code)
