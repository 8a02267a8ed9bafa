"""The HTTP half of a role: a `worker` process answers only its health and metrics paths."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from alerthub.api.responses import JSONResponse
from alerthub.roles import Role

WORKER_PATHS = frozenset({"/healthz", "/readyz", "/-/healthy", "/-/ready", "/metrics"})


def restrict_to_role(app: FastAPI, role: Role) -> None:
    """A worker answers only its health and metrics paths, whatever routers the app includes."""
    if not role.serves_api:
        app.add_middleware(_WorkerPathsOnly)


class _WorkerPathsOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in WORKER_PATHS:
            body = {"detail": "this alerthub instance runs the worker role; send API requests to an api instance"}
            await JSONResponse(body | {"errors": []}, status_code=404)(scope, receive, send)
        elif scope["type"] == "websocket":
            await WebSocketClose(code=1008)(scope, receive, send)
        else:
            await self.app(scope, receive, send)
