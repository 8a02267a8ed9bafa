"""A lean HTTP/1.1 transport for httpx, for the delivery worker's sends.

httpx's default transport (httpcore + h11) cost ~0.4 ms of CPU per POST on loopback one at a time and
~1.1 ms with 32 in flight, the largest single cost of delivering a notification; this one parses with
httptools (C, already installed with uvicorn[standard]) on a plain asyncio protocol and costs ~0.1 ms
including httpx's client layer (bench/NOTES.md). Channels keep using `httpx.AsyncClient` (channels/client.py), its
exceptions and its `Response`, so each channel's behaviour and tests are unchanged: only what goes on
the wire is ours. Kept-alive connections per origin (scheme, host, port), Content-Length, chunked and
close-delimited bodies, TLS through asyncio's ssl, connect and read timeouts (a read timeout is
inactivity, like httpx's). No proxies, no HTTP/2, no request streaming beyond reading the body first.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from typing import cast

import httptools
import httpx

MAX_BODY = 4 * 1024 * 1024  # a service's answer is a few KB; beyond this the rest is dropped
MAX_HEAD = 64 * 1024  # status line and headers: a server sending more is not answering (h11 stops at 16 KiB)
KEEPALIVE = 5.0  # seconds an idle connection is kept, httpx's default
MAX_IDLE = 32  # idle connections kept per origin

Origin = tuple[str, str, int]


class _HeadTooLargeError(Exception):
    pass


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; one request at a time. httptools calls the `on_*` methods."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = loop.time()
        self.no_body = False
        self._reset(None)

    def _reset(self, waiter: asyncio.Future[httpx.Response] | None) -> None:
        self.waiter = waiter
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.reason = b""
        self.head_size = 0
        self.got_bytes = False
        self.headers_done = False
        self.delimited = False  # Content-Length or chunked: the body's end is known without a close
        self.truncated = False
        self.last_data = self.loop.time()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        self.last_data = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("unexpected protocol upgrade"))
        except httptools.HttpParserError as exc:
            # An exception raised in a callback reaches us wrapped, with ours as its context.
            ours = exc.__context__ if isinstance(exc.__context__, _HeadTooLargeError) else None
            self._fail(httpx.RemoteProtocolError(str(ours) if ours else f"malformed response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is None or self.waiter.done():
            return
        if self.headers_done and not self.delimited:
            self._complete()  # the body ran until the server closed, as HTTP/1.0 style answers do
        elif not self.got_bytes:
            self._fail(httpx.RemoteProtocolError("Server disconnected without sending a response."))
        else:
            self._fail(httpx.ReadError(f"connection closed mid-response: {exc or 'EOF'}"))

    # httptools callbacks
    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value)
        if self.head_size > MAX_HEAD:
            raise _HeadTooLargeError(f"response headers larger than {MAX_HEAD} bytes")
        self.headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length" or (lowered == b"transfer-encoding" and b"chunked" in value.lower()):
            self.delimited = True

    def on_headers_complete(self) -> None:
        self.headers_done = True
        if self.no_body:
            self.close()  # an answer to HEAD: its Content-Length describes a body that never comes
            self._complete()

    def on_body(self, body: bytes) -> None:
        if self.size + len(body) > MAX_BODY:
            body = body[: max(0, MAX_BODY - self.size)]
            self.truncated = True  # the rest is still coming: this connection cannot be reused
        self.size += len(body)
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() < 200:
            self._reset(self.waiter)  # 1xx interim answer: the real one follows
            self.got_bytes = True
            return
        self._complete()

    # ours
    def send(self, data: bytes, waiter: asyncio.Future[httpx.Response], *, head: bool = False) -> None:
        assert self.transport is not None
        self._reset(waiter)
        self.no_body = head
        self.transport.write(data)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _complete(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.truncated or not self.parser.should_keep_alive():
            self.close()
        self.idle_since = self.loop.time()
        response = httpx.Response(
            self.parser.get_status_code(),
            headers=self.headers,
            stream=httpx.ByteStream(b"".join(self.chunks)),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": self.reason},
        )
        self.waiter = None
        waiter.set_result(response)

    def _fail(self, error: Exception) -> None:
        self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)


class LoopTransport(httpx.AsyncBaseTransport):
    """`httpx.AsyncClient(transport=LoopTransport())`; `ssl_context` verifies https origins
    (default: httpx's, with certifi's roots)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.idle: dict[Origin, list[_Connection]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = (request.url.scheme, request.url.host, request.url.port or _default_port(request.url.scheme))
        data = await _serialise(request)
        timeouts = request.extensions.get("timeout", {})
        reused = self._take(origin)
        conn = reused or await self._connect(origin, timeouts.get("connect"))
        try:
            return await self._exchange(conn, origin, data, timeouts.get("read"))
        except httpx.RemoteProtocolError:
            if reused is None or reused.got_bytes:
                raise
        # The server closed a kept-alive connection as we reused it, before reading anything: once more.
        conn = await self._connect(origin, timeouts.get("connect"))
        return await self._exchange(conn, origin, data, timeouts.get("read"))

    async def aclose(self) -> None:
        for conns in self.idle.values():
            for conn in conns:
                conn.close()
        self.idle.clear()

    def _take(self, origin: Origin) -> _Connection | None:
        conns = self.idle.get(origin)
        now = asyncio.get_running_loop().time()
        while conns:
            conn = conns.pop()
            if not conn.closed and now - conn.idle_since < KEEPALIVE:
                return conn
            conn.close()
        return None

    async def _connect(self, origin: Origin, limit: float | None) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        tls = self._ssl() if scheme == "https" else None
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop), host, port, ssl=tls, server_hostname=host if tls else None
                ),
                limit,
            )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"no connection to {host}:{port} within {limit}s") from exc
        except OSError as exc:  # ssl.SSLError (a certificate that does not verify) is an OSError too
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return conn

    async def _exchange(self, conn: _Connection, origin: Origin, data: bytes, limit: float | None) -> httpx.Response:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[httpx.Response] = loop.create_future()
        conn.send(data, waiter, head=data.startswith(b"HEAD "))
        timer = _watch(conn, waiter, limit) if limit is not None else None
        try:
            response = await waiter
        except BaseException:
            conn.close()  # cancelled or failed mid-exchange: the connection's state is unknown
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if not conn.closed:
            pool = self.idle.setdefault(origin, [])
            (pool.append(conn) if len(pool) < MAX_IDLE else conn.close())
        return response

    def _ssl(self) -> ssl.SSLContext:
        if self.ssl_context is None:
            self.ssl_context = httpx.create_ssl_context()
        return self.ssl_context


class _Timer:
    def __init__(self) -> None:
        self.handle: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()


def _watch(conn: _Connection, waiter: asyncio.Future[httpx.Response], timeout: float) -> _Timer:
    """Fail `waiter` when no byte arrived for `timeout` seconds; one timer per exchange, re-armed only
    when it fires early (cheaper than re-arming on every chunk)."""
    timer = _Timer()

    def check() -> None:
        if waiter.done():
            return
        quiet = conn.loop.time() - conn.last_data
        if quiet >= timeout:
            conn.waiter = None
            conn.close()
            waiter.set_exception(httpx.ReadTimeout(f"no answer within {timeout:g}s"))
        else:
            timer.handle = conn.loop.call_later(timeout - quiet, check)

    timer.handle = conn.loop.call_later(timeout, check)
    return timer


async def _serialise(request: httpx.Request) -> bytes:
    body = await request.aread()
    headers = request.headers.raw
    if any(name.lower() == b"transfer-encoding" for name, _ in headers):
        # A streamed body was read whole above: send it with its length instead of in chunks.
        headers = [(n, v) for n, v in headers if n.lower() != b"transfer-encoding"]
        headers.append((b"Content-Length", str(len(body)).encode()))
    lines = [request.method.encode(), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in headers:
        # httpx accepts a line break in a header value (httpcore's h11 refuses it at send time): written as
        # is, it would start a header or a request of its own. Refused here as h11 would.
        if not _TOKEN.fullmatch(name) or _BREAK.search(value):
            raise httpx.LocalProtocolError(f"illegal header {name!r}: a name must be a token, a value one line")
        lines += [name, b": ", value, b"\r\n"]
    lines += [b"\r\n", body]
    return b"".join(lines)


_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BREAK = re.compile(rb"[\r\n\x00]")


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
