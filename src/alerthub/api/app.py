from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from alerthub import __version__
from alerthub.api import auth as access
from alerthub.api import docs as api_docs
from alerthub.api import errors
from alerthub.api.http_protocol import install_disconnect_handler
from alerthub.api.ingest_lane import IngestLane
from alerthub.api.openapi import document_error_bodies
from alerthub.api.responses import JSONResponse
from alerthub.api.role_gate import restrict_to_role
from alerthub.api.routes import (
    alertmanager,
    alerts,
    channels,
    health,
    heartbeats,
    ingest,
    monitoring,
    notifications,
    oncall,
    reload,
    rules,
    silences,
    slack,
    webhooks,
)
from alerthub.api.routes import events as live_events
from alerthub.hub import Hub
from alerthub.hub_reload import ConfigSource, Loops, Reloader
from alerthub.roles import Role
from alerthub.store.migrate import upgrade
from alerthub.web import views as web

logger = logging.getLogger(__name__)


ROUTERS = [ingest, alerts, rules, health, reload, webhooks, heartbeats, monitoring, channels, notifications]
ROUTERS += [silences, oncall, alertmanager, slack]


def create_app(
    hub: Hub,
    *,
    migrate: bool = True,
    run_background: bool = True,
    role: Role = Role.ALL,
    fast_ingest: bool = True,
    source: ConfigSource | None = None,
) -> FastAPI:
    """The whole HTTP side. `fast_ingest=False` leaves the ingest endpoints to the framework's routing, so
    tests can check that the lane (api/ingest_lane.py) answers exactly as the routed endpoints do.
    `source`: what `alerthub serve` read, for SIGHUP and `POST /-/reload` to read again."""
    app = FastAPI(
        title="alerthub",
        version=__version__,
        description="A self-hosted, unified alerting hub.",
        lifespan=_lifespan(hub, migrate=migrate, run_background=run_background, role=role, source=source),
        default_response_class=JSONResponse,
        docs_url=None,
        redoc_url=None,
        # alerthub exports its own Prometheus metrics; FastAPI's OpenTelemetry hooks would look up the
        # global tracer and meter providers on every request to find them unconfigured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.hub, app.state.reloader = hub, None
    errors.install(app)
    install_disconnect_handler(app)
    for module in ROUTERS:
        app.include_router(module.router)
    if fast_ingest:
        # Added before (so inside) the latency and access-control middlewares: it is timed and guarded alike.
        app.add_middleware(IngestLane, routes=[r for r in ingest.router.routes if isinstance(r, APIRoute)])
    app.add_middleware(errors.RefuseNul)
    app.add_middleware(_Timed, hub=hub)
    api_docs.install(app)
    live_events.install(app, hub)
    web.install(app, hub, access.install(app, hub))
    restrict_to_role(app, role)
    document_error_bodies(app)
    return app


def _lifespan(
    hub: Hub, *, migrate: bool, run_background: bool, role: Role, source: ConfigSource | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Migrate, run the role's background loops while the app serves (reloading the configuration when
    told), stop them and the database after."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade(hub.db)
        await hub.db.warm()
        loops = Loops(hub, lambda name: run_background and role.runs(name))
        # Made before the loops start: it subscribes to the broadcast's reload topic.
        reloader = app.state.reloader = Reloader(hub, loops, source) if source is not None else None
        loops.start()
        hangup = asyncio.get_running_loop()
        if reloader is not None:
            hangup.add_signal_handler(signal.SIGHUP, reloader.request, "SIGHUP")
        try:
            yield
        finally:
            if reloader is not None:
                hangup.remove_signal_handler(signal.SIGHUP)
            await loops.stop()
            await hub.db.dispose()

    return lifespan


class _Timed:
    """Request latency by route template. Plain ASGI on purpose: `BaseHTTPMiddleware` (what
    `app.middleware("http")` builds) wraps every response in a task group and a stream, which costs
    more than a small request's own work (bench/NOTES.md)."""

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
