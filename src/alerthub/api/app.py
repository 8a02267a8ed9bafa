from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from alerthub import __version__
from alerthub.api import auth as access
from alerthub.api import docs as api_docs
from alerthub.api import errors
from alerthub.api.fast_ingest import PATH as FAST_INGEST_PATH
from alerthub.api.fast_ingest import FastIngest
from alerthub.api.openapi import document_error_bodies
from alerthub.api.responses import JSONResponse
from alerthub.api.routes import (
    alerts,
    channels,
    health,
    heartbeats,
    ingest,
    monitoring,
    notifications,
    rules,
    silences,
    webhooks,
)
from alerthub.api.routes import events as live_events
from alerthub.http_protocol import install_disconnect_handler
from alerthub.hub import Hub
from alerthub.roles import Role, restrict_to_role
from alerthub.store.migrate import upgrade
from alerthub.web import views as web

logger = logging.getLogger(__name__)


def create_app(
    hub: Hub,
    *,
    migrate: bool = True,
    run_background: bool = True,
    role: Role = Role.ALL,
    fast_ingest: bool = True,
) -> FastAPI:
    """The whole HTTP side. `fast_ingest=False` leaves `POST /api/v2/alerts` to its FastAPI route, so
    tests can check that the framework-free path (api/fast_ingest.py) answers exactly as the route does."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade(hub.db)
        stop = asyncio.Event()
        loops = {name: run for name, run in hub.background.items() if run_background and role.runs(name)}
        tasks = [asyncio.create_task(run(stop), name=name) for name, run in loops.items()]
        try:
            yield
        finally:
            stop.set()
            if tasks:
                await asyncio.wait(tasks, timeout=10)
                for task in tasks:
                    task.cancel()
            await hub.db.dispose()

    app = FastAPI(
        title="alerthub",
        version=__version__,
        description="A self-hosted, unified alerting hub.",
        lifespan=lifespan,
        default_response_class=JSONResponse,
        docs_url=None,
        redoc_url=None,
        # alerthub exports its own Prometheus metrics; FastAPI's OpenTelemetry hooks would look up the
        # global tracer and meter providers on every request to find them unconfigured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.hub = hub
    errors.install(app)
    install_disconnect_handler(app)
    for module in (ingest, alerts, rules, health, webhooks, heartbeats, monitoring, channels, notifications, silences):
        app.include_router(module.router)
    if fast_ingest:
        # Added before (so inside) the latency and access-control middlewares: it is timed and guarded alike.
        app.add_middleware(FastIngest, hub=hub, route=_route(ingest.router, "POST", FAST_INGEST_PATH))
    app.add_middleware(_Timed, hub=hub)
    api_docs.install(app)
    live_events.install(app, hub)
    web.install(app, hub, access.install(app, hub))
    restrict_to_role(app, role)
    document_error_bodies(app)
    return app


def _route(router: APIRouter, method: str, path: str) -> BaseRoute:
    return next(r for r in router.routes if isinstance(r, APIRoute) and r.path == path and method in (r.methods or ()))


class _Timed:
    """Request latency by route template. Plain ASGI on purpose: `BaseHTTPMiddleware` (what
    `app.middleware("http")` builds) wraps every response in a task group and a stream, which was a
    fifth of the CPU of a one-alert POST (bench/NOTES.md)."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        await self.app(scope, receive, send)
        template = getattr(scope.get("route"), "path", "unmatched")
        self.hub.metrics.latency.labels(scope["method"], template).observe(time.perf_counter() - started)
