"""`GET /api/events`: Server-Sent Events of alert changes, so open pages update without a reload.

Each message is `event: alert` with the alert's JSON; `event: resync` asks the page to reload its list
(it fell behind). A comment line every few seconds keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse

from alerthub.api.errors import error_body
from alerthub.api.responses import JSONResponse
from alerthub.api.serialize import alert_json
from alerthub.domain.alert import Alert
from alerthub.hub import Hub
from alerthub.services.live import LiveFeed

router = APIRouter(tags=["events"])

KEEPALIVE_SECONDS = 15.0
# Streams end after this long and the browser's EventSource reconnects (and resyncs): no stream
# holds a server shutdown or a proxy connection for ever.
MAX_STREAM_SECONDS = 300.0


@router.get("/api/events", response_model=None)
async def events(request: Request) -> StreamingResponse | JSONResponse:
    feed: LiveFeed = request.app.state.live
    queue = feed.subscribe()
    if queue is None:
        return JSONResponse(error_body("too many live subscribers; retry later", []), 503, {"Retry-After": "30"})
    return StreamingResponse(
        _stream(feed, queue),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(feed: LiveFeed, queue: asyncio.Queue[Alert | None]) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + MAX_STREAM_SECONDS
    try:
        yield b"retry: 3000\nevent: hello\ndata: {}\n\n"
        while loop.time() < ends:
            try:
                item = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if item is None:
                yield b"event: resync\ndata: {}\n\n"
            else:
                yield b"event: alert\ndata: " + orjson.dumps(alert_json(item)) + b"\n\n"
    finally:
        feed.unsubscribe(queue)


def install(app: FastAPI, hub: Hub) -> None:
    app.state.live = hub.live
    app.include_router(router)
