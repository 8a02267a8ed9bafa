"""The ingest endpoints answered before the framework's routing, by their own route functions.

Senders post here hardest in an outage, and for a one-alert request Starlette's routing (a scan of
every route), FastAPI's dependency solving and two exception middlewares cost more than the work
itself (bench/NOTES.md). This middleware sits inside the access-control and latency middlewares, so the same
tokens are required and the same histogram is fed; it looks the path up in a table of the ingest
routes and awaits the route's own endpoint with a plain `Request`, mapping errors with the app's own
handlers (api/errors.py). So each endpoint has one implementation, documented in /openapi.json, and
with the lane off (`create_app(fast_ingest=False)`) the framework routes it the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from alerthub.api import errors
from alerthub.api.http_protocol import client_went_away
from alerthub.errors import InputError, StoreUnavailableError

Endpoint = Callable[[Request], Awaitable[Response]]


class IngestLane:
    def __init__(self, app: ASGIApp, routes: Iterable[APIRoute]) -> None:
        self.app = app
        self.routes = {r.path: r for r in routes if "POST" in (r.methods or ())}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # the latency histogram labels requests by their route's template
        request = Request(scope, receive)
        endpoint: Endpoint = route.endpoint
        try:
            response = await endpoint(request)
        except InputError as exc:
            response = errors.input_error(request, exc)
        except StoreUnavailableError as exc:
            response = errors.unavailable_response(exc)
        except ClientDisconnect:
            response = client_went_away(request)
        await response(scope, receive, send)
