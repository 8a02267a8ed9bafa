"""uvicorn's HTTP protocol plus the two limits it lacks, so slow or half-open clients cannot pin connections.

uvicorn times out only an idle keep-alive connection *after* a response. A client that connects and
sends nothing, trickles its headers one byte at a time (slowloris), or announces a body and never
sends it, holds its connection (and, for a body, a request task) forever. And with httptools there is
no cap on the size of the request line and headers at all. Here:

* every request must arrive whole (request line, headers, body) within `read_timeout` of its first
  byte, or of the connection opening; otherwise the client gets `408` and the connection is closed;
* the request line plus headers may not exceed `max_header_bytes`; otherwise `431` and close.

It also writes each response with one system call instead of two: uvicorn writes the status line and
headers, then the body, each straight to the socket, and on a small answer each system call costs
more than the rest of the write (bench/NOTES.md). What is written within one turn of the event loop is sent together
at the end of that turn.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)


class _HeadersTooLargeError(Exception):
    pass


class GuardedHttpProtocol(HttpToolsProtocol):
    read_timeout: float = 30.0
    max_header_bytes: int = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._headers_too_large = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Every write of this connection, the protocol's own and each request cycle's, goes through the
        # one coalescing writer, so they stay in order.
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # Parser callbacks: a new request starts the clock (for a keep-alive connection's next request),
    # its completion stops it. What the app then does with the request is not bounded here.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._read_deadline is None:
            self._arm()

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the connection now belongs to the WebSocket protocol and its own timeouts
        if isinstance(self.transport, CoalescingTransport):
            self.transport = self.transport.unwrap()
        super().handle_websocket_upgrade()

    def send_400_response(self, msg: str) -> None:
        # The parser reports an exception raised in a callback as a malformed request; say what it was.
        if self._headers_too_large:
            self._reject(431, f"request line and headers larger than {self.max_header_bytes} bytes")
            return
        super().send_400_response(msg)

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            self._headers_too_large = True
            raise _HeadersTooLargeError

    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._expire)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _expire(self) -> None:
        self._read_deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and cycle.response_started:
            self.transport.close()  # the app already answers; a status line cannot be sent any more
            return
        self._reject(408, f"request not received within {self.read_timeout:g} seconds")

    def _reject(self, status: int, message: str) -> None:
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        body = message.encode("ascii")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()
        logger.info("closed a connection from %s: %s", _peer(self.client), message)


class CoalescingTransport:
    """A transport whose writes within one turn of the event loop reach the socket as one write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def unwrap(self) -> asyncio.Transport:
        self.flush()
        return self._transport

    def __getattr__(self, name: str) -> Any:
        # is_closing, get_extra_info, pause_reading, ...: the socket's own.
        return getattr(self._transport, name)


def guarded_protocol(read_timeout: float, max_header_bytes: int) -> type[GuardedHttpProtocol]:
    """The protocol class uvicorn instantiates per connection, with this server's limits."""
    return type(
        "GuardedHttpProtocol",
        (GuardedHttpProtocol,),
        {"read_timeout": read_timeout, "max_header_bytes": max_header_bytes},
    )


def install_disconnect_handler(app: FastAPI) -> None:
    """A client that goes away mid-body (or is cut off by the read deadline) is not a server error."""

    async def disconnected(request: Request, exc: Exception) -> Response:
        return client_went_away(request)

    app.add_exception_handler(ClientDisconnect, disconnected)


def client_went_away(request: Request) -> Response:
    logger.info("client %s went away before its request was read", _peer(request.client))
    return Response(status_code=400)


def _peer(client: Any) -> str:
    if client is None:
        return "unknown"
    host, port = client[0], client[1]
    return f"{host}:{port}"
