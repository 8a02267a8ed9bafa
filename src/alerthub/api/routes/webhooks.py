"""Webhooks from monitoring services. Thin: the service authenticates, parses and stores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from alerthub.api.body import read_body
from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.services.webhooks import Delivery, WebhookOutcome, WebhookService

router = APIRouter(tags=["webhooks"])

_JSON: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}
EndpointName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]


@router.post("/webhooks/sentry", openapi_extra=_JSON)
async def sentry_webhook(request: Request, hub: HubDep) -> JSONResponse:
    """Sentry Integration Platform webhooks (verified by `Sentry-Hook-Signature`) and the legacy
    WebHooks plugin (authenticated by `?token=`)."""
    outcome = await WebhookService(hub).sentry(await _delivery(request, hub))
    return JSONResponse(_outcome_json(outcome))


@router.post("/webhooks/hetrixtools", openapi_extra=_JSON)
async def hetrixtools_webhook(request: Request, hub: HubDep) -> JSONResponse:
    """HetrixTools uptime (object) and blacklist (array) notifications; any Content-Type."""
    outcome = await WebhookService(hub).hetrixtools(await _delivery(request, hub))
    return JSONResponse(_outcome_json(outcome))


@router.post("/webhooks/generic/{name}", openapi_extra=_JSON)
async def generic_webhook(name: EndpointName, request: Request, hub: HubDep) -> JSONResponse:
    """Any JSON, mapped to signals by `integrations.generic[name].fields`."""
    outcome = await WebhookService(hub).generic(name, await _delivery(request, hub))
    return JSONResponse(_outcome_json(outcome))


@router.post("/webhooks/generic", openapi_extra=_JSON)
async def generic_default_webhook(request: Request, hub: HubDep) -> JSONResponse:
    """The generic endpoint named `default`."""
    outcome = await WebhookService(hub).generic("default", await _delivery(request, hub))
    return JSONResponse(_outcome_json(outcome))


async def _delivery(request: Request, hub: HubDep) -> Delivery:
    body = await read_body(request, hub.config.server.max_body_bytes)
    headers = {name.lower(): value for name, value in request.headers.items()}
    return Delivery(body, headers, request.query_params.get("token"))


def _outcome_json(outcome: WebhookOutcome) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "ignored" if outcome.ignored else "accepted",
        "alerts": [
            {
                "alert_id": r.alert_id,
                "fingerprint": r.fingerprint,
                "state": r.state,
                "severity": r.severity.value if r.severity else None,
            }
            for r in outcome.results
        ],
    }
    if outcome.ignored:
        body["reason"] = outcome.ignored
    return body
