"""The coalescing writer under uvicorn's protocol: fewer system calls, never a byte out of order or lost."""

from __future__ import annotations

import asyncio
from typing import Any

from alerthub.api.http_protocol import CoalescingTransport


class _CountingTransport:
    """A real loopback transport that counts the writes reaching it."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


async def _loopback() -> tuple[_CountingTransport, asyncio.Queue[bytes], asyncio.Server, asyncio.StreamWriter]:
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def collect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            received.put_nowait(data)
        received.put_nowait(b"<eof>")
        writer.close()

    server = await asyncio.start_server(collect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    # The writer is returned too: a StreamWriter that is garbage-collected closes its transport.
    return _CountingTransport(writer.transport), received, server, writer  # type: ignore[arg-type]


async def _received_until_eof(received: asyncio.Queue[bytes]) -> bytes:
    data = b""
    while (chunk := await asyncio.wait_for(received.get(), 5)) != b"<eof>":
        data += chunk
    return data


async def test_writes_in_one_loop_turn_reach_the_socket_as_one_write_in_order() -> None:
    counting, received, server, _writer = await _loopback()
    coalescing = CoalescingTransport(counting, asyncio.get_running_loop())  # type: ignore[arg-type]
    coalescing.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    coalescing.write(b"ok")
    assert counting.writes == 0
    await asyncio.sleep(0)
    assert counting.writes == 1
    coalescing.write(b"next")
    coalescing.close()  # closing sends what is pending first
    assert counting.writes == 2
    assert await _received_until_eof(received) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\noknext"
    server.close()


async def test_abort_drops_what_is_pending_and_a_late_flush_writes_nothing() -> None:
    counting, received, server, _writer = await _loopback()
    coalescing = CoalescingTransport(counting, asyncio.get_running_loop())  # type: ignore[arg-type]
    coalescing.write(b"never sent")
    coalescing.abort()
    await asyncio.sleep(0)
    assert counting.writes == 0
    assert await _received_until_eof(received) == b""
    server.close()


async def test_unwrap_hands_over_the_socket_after_sending_what_is_pending() -> None:
    counting, received, server, _writer = await _loopback()
    coalescing = CoalescingTransport(counting, asyncio.get_running_loop())  # type: ignore[arg-type]
    coalescing.write(b"before upgrade")
    raw = coalescing.unwrap()
    assert raw is counting and counting.writes == 1
    assert not coalescing.is_closing()  # everything else is the socket's own
    raw.close()
    assert await _received_until_eof(received) == b"before upgrade"
    server.close()
