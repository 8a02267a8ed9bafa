"""`POST /api/v2/alerts` answered without the framework's routing and request objects.

It is the endpoint Prometheus, Grafana and amtool post to, the one that takes the load in an outage.
For a one-alert request Starlette's routing (a scan of every route), FastAPI's request handling,
dependency solving, response objects and two exception middlewares were about a fifth of the CPU
(bench/NOTES.md). This middleware sits inside the access-control and latency middlewares, so the
same tokens are required and the same histogram is fed, and answers the one path itself with the
route's own pieces: the body limits of api/body.py, the error bodies of api/errors.py and
`routes.ingest.accept_postable`. The FastAPI route stays registered: it documents the endpoint in
/openapi.json, and tests/api/test_fast_ingest.py checks that both answer every input alike.
"""

from __future__ import annotations

import logging

import orjson
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from alerthub.api.body import check_declared_length, check_json_media, too_large
from alerthub.api.errors import input_error_response, unavailable_response
from alerthub.api.routes.ingest import accept_postable
from alerthub.errors import InputError, StoreUnavailableError
from alerthub.hub import Hub
from alerthub.ingest.validation import parse_json

logger = logging.getLogger(__name__)

PATH = "/api/v2/alerts"
_JSON_HEADERS = [(b"content-type", b"application/json")]


class FastIngest:
    def __init__(self, app: ASGIApp, hub: Hub, route: BaseRoute) -> None:
        self.app = app
        self.hub = hub
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route  # the latency histogram labels requests by their route's template
        try:
            data = parse_json(await self._read_body(scope, receive))
            answer = await accept_postable(self.hub, data)
        except InputError as exc:
            self.hub.metrics.rejected.labels(str(exc.status)).inc()
            await input_error_response(exc, PATH)(scope, receive, send)
        except StoreUnavailableError as exc:
            await unavailable_response(exc)(scope, receive, send)
        except ClientDisconnect:
            logger.info("client %s went away before its request was read", _peer(scope))
            await Response(status_code=400)(scope, receive, send)
        else:
            body = orjson.dumps(answer)
            headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        content_type, declared = _content_headers(scope)
        check_json_media(content_type)
        limit = self.hub.config.server.max_body_bytes
        check_declared_length(declared, limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _content_headers(scope: Scope) -> tuple[str, str | None]:
    """Content-Type and Content-Length, the first of each as Starlette's `Headers.get` would pick."""
    content_type: str | None = None
    length: str | None = None
    for name, value in scope["headers"]:
        if name == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
        elif name == b"content-length" and length is None:
            length = value.decode("latin-1")
    return content_type or "", length


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "unknown"
