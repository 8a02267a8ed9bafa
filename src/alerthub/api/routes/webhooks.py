"""Webhooks from monitoring services, one route per registered push source. Thin: the service finds the
source, which authenticates and parses; the service stores."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from alerthub.api.body import read_body
from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.hub import Hub
from alerthub.services.webhooks import WebhookOutcome, WebhookService
from alerthub.sources.contracts import InboundRequest
from alerthub.sources.registry import SOURCES, Registry

_JSON: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}
EndpointName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]
DEFAULT_ENDPOINT = "default"


def webhook_router(registry: Registry = SOURCES) -> APIRouter:
    """`/webhooks/<path>` per push source; a named source also gets `/webhooks/<path>/{name}`, and its
    plain path is the endpoint named `default`."""
    router = APIRouter(tags=["webhooks"])
    for source in registry.push:
        path = f"/webhooks/{source.path}"
        if source.named:
            route = _named_route(registry, source.path)
            router.add_api_route(
                path + "/{name}", route, methods=["POST"], name=f"{source.path}_webhook",
                description=source.description, openapi_extra=_JSON,
            )  # fmt: skip
            default = _route(registry, source.path, DEFAULT_ENDPOINT)
            router.add_api_route(
                path, default, methods=["POST"], name=f"{source.path}_default_webhook",
                description=f"The {source.path} endpoint named `{DEFAULT_ENDPOINT}`.", openapi_extra=_JSON,
            )  # fmt: skip
        else:
            router.add_api_route(
                path, _route(registry, source.path, None), methods=["POST"], name=f"{source.path}_webhook",
                description=source.description, openapi_extra=_JSON,
            )  # fmt: skip
    return router


def _route(registry: Registry, source: str, name: str | None) -> Callable[[Request, Hub], Awaitable[JSONResponse]]:
    async def webhook(request: Request, hub: HubDep) -> JSONResponse:
        return await _receive(registry, hub, source, request, name)

    return webhook


def _named_route(registry: Registry, source: str) -> Callable[[str, Request, Hub], Awaitable[JSONResponse]]:
    async def webhook(name: EndpointName, request: Request, hub: HubDep) -> JSONResponse:
        return await _receive(registry, hub, source, request, name)

    return webhook


async def _receive(registry: Registry, hub: Hub, source: str, request: Request, name: str | None) -> JSONResponse:
    service = WebhookService(
        integrations=registry.resolve(hub.config),
        ingest=hub.ingest,
        heartbeats=hub.heartbeats,
        db=hub.db,
        rules=hub.rules,
        clock=hub.clock,
        metrics=hub.metrics,
        max_items=hub.config.server.max_alerts_per_request,
    )
    outcome = await service.receive(source, await _inbound(request, hub), name)
    return JSONResponse(_outcome_json(outcome))


async def _inbound(request: Request, hub: Hub) -> InboundRequest:
    body = await read_body(request, hub.config.server.max_body_bytes)
    headers = {name.lower(): value for name, value in request.headers.items()}
    return InboundRequest(body, headers, request.query_params.get("token"))


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


router = webhook_router()
