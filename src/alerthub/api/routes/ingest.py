"""The ingest endpoints: the seed's own body, Alertmanager's and PagerDuty's (alert and change events).
Served before the framework's routing by api/ingest_lane.py, which calls these functions with a plain Request."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request

from alerthub.api.body import read_json
from alerthub.api.responses import JSONResponse
from alerthub.domain.signal import Signal
from alerthub.hub import Hub
from alerthub.ingest.transaction import IngestResult
from alerthub.services.pagerduty import ChangeService, routing_keys
from alerthub.sources import alertmanager, pagerduty, seed
from alerthub.sources.pagerduty_change import parse_change

router = APIRouter(tags=["ingest"])

_JSON_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
}
_JSON_ARRAY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "array"}}}}
}


def _hub(request: Request) -> Hub:
    # Not the `HubDep` dependency: FastAPI runs a sync dependency on its thread pool, one hand-off per
    # request, which on these hot endpoints cost more than the rest of the routing.
    hub: Hub = request.app.state.hub
    return hub


async def _ingest(hub: Hub, signals: list[Signal], *, known_rules_only: bool) -> list[IngestResult]:
    results = await hub.ingest.ingest(signals, known_rules_only=known_rules_only)
    for source, count in Counter(s.source for s in signals).items():
        hub.metrics.signals.labels(source).inc(count)
    return results


async def accept_postable(hub: Hub, data: Any) -> dict[str, object]:
    """`POST /api/v2/alerts` once its body is parsed."""
    signals = alertmanager.parse_postable(data, hub.clock(), max_alerts=hub.config.server.max_alerts_per_request)
    results = await _ingest(hub, signals, known_rules_only=False)
    return {"status": "success", "accepted": len(results)}


@router.post("/api/alerts/send", status_code=202, openapi_extra=_JSON_BODY)
async def send_alert(request: Request) -> JSONResponse:
    """The seed guide's body: `{"rule_name", "metric_data": {"metric_value", "additional_info", "<x>_data"}}`."""
    hub = _hub(request)
    data = await read_json(request, hub.config.server.max_body_bytes)
    sender = request.client.host if request.client else None
    [result] = await _ingest(hub, [seed.parse_send(data, sender)], known_rules_only=True)
    return JSONResponse(
        {
            "alert_id": result.alert_id,
            "fingerprint": result.fingerprint,
            "state": result.state,
            "severity": result.severity.value if result.severity else None,
        },
        status_code=202,
    )


@router.post("/api/v2/alerts", openapi_extra=_JSON_ARRAY)
async def post_alertmanager_alerts(request: Request) -> JSONResponse:
    """Prometheus Alertmanager's postable alerts: Prometheus, Grafana and amtool can send here."""
    hub = _hub(request)
    data = await read_json(request, hub.config.server.max_body_bytes)
    return JSONResponse(await accept_postable(hub, data))


@router.post("/webhooks/alertmanager", openapi_extra=_JSON_BODY)
async def alertmanager_webhook(request: Request) -> JSONResponse:
    """Alertmanager's webhook v4 body, for an existing Alertmanager or Grafana forwarding here."""
    hub = _hub(request)
    data = await read_json(request, hub.config.server.max_body_bytes)
    signals = alertmanager.parse_webhook(data, hub.clock(), max_alerts=hub.config.server.max_alerts_per_request)
    results = await _ingest(hub, signals, known_rules_only=False)
    return JSONResponse({"status": "success", "accepted": len(results)})


@router.post("/v2/enqueue", status_code=202, openapi_extra=_JSON_BODY)
async def pagerduty_enqueue(request: Request) -> JSONResponse:
    """PagerDuty Events API v2, with PagerDuty's own answer. The routing key's labels
    (`integrations.pagerduty.routing_keys[]`) are added to the alert."""
    hub = _hub(request)
    data = await read_json(request, hub.config.server.max_body_bytes)
    signal = pagerduty.parse_event(data, routing_keys(hub.config))
    await _ingest(hub, [signal], known_rules_only=False)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": signal.labels["dedup_key"]},
        status_code=202,
    )


@router.post("/v2/change/enqueue", status_code=202, openapi_extra=_JSON_BODY)
async def pagerduty_change(request: Request) -> JSONResponse:
    """PagerDuty change events (a deploy, a configuration push): shown on the timeline of the open alerts
    of the service they name (`payload.source` as the `service` label) or carrying their routing key's
    labels. PagerDuty's own answer."""
    hub = _hub(request)
    data = await read_json(request, hub.config.server.max_body_bytes)
    await ChangeService(hub.db, hub.clock).record(parse_change(data, routing_keys(hub.config)))
    return JSONResponse({"status": "success", "message": "Change event processed"}, status_code=202)
