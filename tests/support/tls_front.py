"""A TLS-terminating TCP relay on loopback, as a reverse proxy (Caddy, nginx) stands in front of alerthub in
production: for clients that only speak HTTPS (PagerDuty's Python client refuses an http:// base URL).
Bytes pass through unchanged both ways; the certificate is a fresh self-signed one for 127.0.0.1.

    with TlsFront(("127.0.0.1", 8000), tmp_path) as front:
        client = EventsApiV2Client(key, base_url=front.url, verify=front.client_context())
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from pathlib import Path
from types import TracebackType

from support.standins import make_certificate


class TlsFront:
    def __init__(self, upstream: tuple[str, int], workdir: Path) -> None:
        self.upstream = upstream
        self.cert, key = make_certificate(workdir)
        self._server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._server_tls.load_cert_chain(self.cert, key)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-front", daemon=True)
        self._server: asyncio.Server | None = None
        self._relays: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def client_context(self) -> ssl.SSLContext:
        """Trusts this front's certificate and nothing else."""
        return ssl.create_default_context(cafile=str(self.cert))

    def __enter__(self) -> TlsFront:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.port = started.result(timeout=10)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0, ssl=self._server_tls)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for relay in self._relays:
            relay.cancel()  # keep-alive connections the clients left open
        await asyncio.gather(*self._relays, return_exceptions=True)

    async def _relay(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        writers = [client_out]
        try:
            upstream_in, upstream_out = await asyncio.open_connection(*self.upstream)
            writers.append(upstream_out)
            await asyncio.gather(_pipe(client_in, upstream_out), _pipe(upstream_in, client_out))
        except OSError:
            pass  # alerthub is away: the client sees its connection closed, as behind a real proxy
        finally:
            self._relays.discard(task)
            for writer in writers:
                writer.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    with contextlib.suppress(ConnectionError, ssl.SSLError, RuntimeError, OSError):
        if sink.can_write_eof():
            sink.write_eof()  # the other side said all it had to say; the reply may still come
