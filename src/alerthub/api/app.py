from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from alerthub import __version__
from alerthub.api import auth as access
from alerthub.api import errors
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


def create_app(hub: Hub, *, migrate: bool = True, run_background: bool = True, role: Role = Role.ALL) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade(hub.db)
        stop = asyncio.Event()
        tasks = (
            [asyncio.create_task(run(stop), name=name) for name, run in hub.background.items()]
            if run_background and role.runs_background
            else []
        )
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
    )
    app.state.hub = hub
    errors.install(app)
    install_disconnect_handler(app)
    app.middleware("http")(_timed(hub))
    for module in (ingest, alerts, rules, health, webhooks, heartbeats, monitoring, channels, notifications, silences):
        app.include_router(module.router)
    live_events.install(app, hub)
    web.install(app, hub, access.install(app, hub))
    restrict_to_role(app, role)
    return app


def _timed(hub: Hub) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        hub.metrics.latency.labels(request.method, template).observe(time.perf_counter() - started)
        return response

    return middleware
