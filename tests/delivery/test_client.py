"""The delivery client against real loopback servers: what a channel sees (status, headers, body, and
the failures it retries or gives up on), over kept-alive connections; what goes on the wire."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from alerthub.channels.base import request
from alerthub.channels.http import HttpClient
from alerthub.delivery.client import MAX_BODY, delivery_client
from alerthub.errors import DeliveryError
from support.standins import Receiver

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """An asyncio server that answers each request with `answer` and counts connections."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.bodies: list[bytes] = []

    async def start(self, tls: ssl.SSLContext | None = None) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if tls else 'http'}://127.0.0.1:{port}/hook"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                self.bodies.append(await reader.readexactly(length))
                await self.answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def reply(raw: bytes) -> Answer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw)
        await writer.drain()

    return answer


OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with delivery_client() as client:
        yield client


async def test_posts_reuse_one_kept_alive_connection(http: HttpClient) -> None:
    server = RawServer(reply(OK))
    url = await server.start()
    for n in range(3):
        response = await request(http, "POST", url, content=b"body %d" % n, seconds=5)
        assert response.json() == {"ok": True}
    assert server.bodies == [b"body 0", b"body 1", b"body 2"]
    assert server.connections == 1


async def test_a_chunked_answer_is_read_whole(http: HttpClient) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    url = await RawServer(reply(chunked)).start()
    assert (await request(http, "POST", url, content=b"x", seconds=5)).text == "hello world"


async def test_an_answer_without_length_ends_when_the_server_closes(http: HttpClient) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
        await writer.drain()
        writer.close()

    url = await RawServer(answer).start()
    assert (await request(http, "POST", url, content=b"x", seconds=5)).text == "until the end"
    assert (await request(http, "POST", url, content=b"y", seconds=5)).text == "until the end"


async def test_a_compressed_answer_is_decoded(http: HttpClient) -> None:
    packed = gzip.compress(b'{"id": "42"}')
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
    url = await RawServer(reply(head + b"Content-Length: %d\r\n\r\n" % len(packed) + packed)).start()
    assert (await request(http, "POST", url, content=b"x", seconds=5)).json() == {"id": "42"}


async def test_a_429_keeps_its_retry_after(http: HttpClient) -> None:
    url = await RawServer(
        reply(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nslow")
    ).start()
    with pytest.raises(DeliveryError) as caught:
        await request(http, "POST", url, content=b"x", seconds=5)
    assert (caught.value.status, caught.value.retryable, caught.value.retry_after) == (429, True, 7.0)


async def test_a_silent_server_times_out_as_retryable(http: HttpClient) -> None:
    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    url = await RawServer(never).start()
    with pytest.raises(DeliveryError, match="timed out after 0.2s: ReadTimeout") as caught:
        await request(http, "POST", url, content=b"x", seconds=0.2)
    assert caught.value.retryable


async def test_nobody_listening_is_a_retryable_connect_error(http: HttpClient) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(DeliveryError, match="cannot connect: ConnectError") as caught:
        await request(http, "POST", f"http://127.0.0.1:{port}/hook", content=b"x", seconds=1)
    assert caught.value.retryable


async def test_a_connection_the_server_closed_while_idle_is_replaced(http: HttpClient) -> None:
    async def once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(OK)  # says keep-alive, then closes after a moment: the stale connection case
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()

    server = RawServer(once_then_close)
    url = await server.start()
    await request(http, "POST", url, content=b"a", seconds=5)
    await asyncio.sleep(0.2)
    await request(http, "POST", url, content=b"b", seconds=5)
    assert server.bodies == [b"a", b"b"]
    assert server.connections == 2


async def test_a_garbled_answer_is_a_retryable_error(http: HttpClient) -> None:
    url = await RawServer(reply(b"NOT HTTP AT ALL\r\n\r\n")).start()
    with pytest.raises(DeliveryError, match="cannot connect: RemoteProtocolError") as caught:
        await request(http, "POST", url, content=b"x", seconds=5)
    assert caught.value.retryable


async def test_an_oversized_answer_is_cut_and_its_connection_dropped(http: HttpClient) -> None:
    big = b"x" * (MAX_BODY + 1024 * 1024)  # cut mid-stream: the rest never read
    server = RawServer(reply(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(big) + big))
    url = await server.start()
    response = await request(http, "POST", url, content=b"x", seconds=5)
    assert len(response.content) == MAX_BODY
    await request(http, "POST", url, content=b"y", seconds=5)
    assert server.connections == 2


async def test_https_is_verified(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    url = await RawServer(reply(OK)).start(tls=served)
    trusting = ssl.create_default_context(cafile=str(cert))
    async with delivery_client(trusting) as http:
        assert (await request(http, "POST", url, content=b"x", seconds=5)).json() == {"ok": True}
    async with delivery_client() as http:  # public roots only: a self-signed certificate is refused
        with pytest.raises(DeliveryError, match="cannot connect: ConnectError") as caught:
            await request(http, "POST", url, content=b"x", seconds=5)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


async def test_headers_and_body_arrive_as_sent(http: HttpClient, receiver: Receiver) -> None:
    await request(
        http, "POST", f"{receiver.base_url}/hook?a=1", content=b'{"x":1}', headers={"X-Sig": "abc"}, seconds=5
    )
    (seen,) = receiver.requests
    assert (seen.path, seen.query, seen.body) == ("/hook", {"a": ["1"]}, b'{"x":1}')
    assert seen.headers["X-Sig"] == "abc"
    assert seen.headers["Content-Length"] == "7"


@pytest.mark.parametrize(
    ("name", "value"),
    [("X-Note", "ok\r\nX-Injected: 1"), ("X-Note", "ok\nHost: evil"), ("X-Bad Name", "v"), ("X-Nul", "a\x00b")],
)
async def test_a_header_that_would_break_the_request_apart_is_refused_before_sending(
    http: HttpClient, name: str, value: str
) -> None:
    server = RawServer(reply(OK))
    url = await server.start()
    with pytest.raises(DeliveryError) as refused:
        await request(http, "POST", url, content=b"{}", headers={name: value}, seconds=5)
    assert not refused.value.retryable and "header" in str(refused.value)
    assert server.connections == 0 and server.bodies == []
    server.server.close()


async def test_an_answer_with_endless_headers_is_cut_off(http: HttpClient) -> None:
    header_flood = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"y" * 1000 + b"\r\n"

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(header_flood)
        for _ in range(200):  # 200 KB of headers and counting, never a blank line
            writer.write(b"X-More: " + b"z" * 1000 + b"\r\n")
            await writer.drain()

    server = RawServer(flood)
    url = await server.start()
    with pytest.raises(DeliveryError) as failed:
        await request(http, "POST", url, content=b"{}", seconds=5)
    assert failed.value.retryable and "Too many headers" in str(failed.value)
    server.server.close()


async def test_a_json_body_arrives_as_compact_utf8_json(http: HttpClient, receiver: Receiver) -> None:
    body = {"text": "서비스 다운 ☕", "n": 1}
    await request(http, "POST", f"{receiver.base_url}/hook", json_body=body, params={"wait": "true"}, seconds=5)
    (seen,) = receiver.requests
    assert (seen.path, seen.query) == ("/hook", {"wait": ["true"]})
    assert seen.body == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert seen.headers["Content-Type"] == "application/json"


async def test_raw_content_is_not_given_a_content_type(http: HttpClient, receiver: Receiver) -> None:
    await request(http, "POST", f"{receiver.base_url}/hook", content=b"plain", seconds=5)
    (seen,) = receiver.requests
    assert "Content-Type" not in seen.headers


async def test_a_redirect_is_an_answer_not_followed(http: HttpClient, receiver: Receiver) -> None:
    url = await RawServer(
        reply(b"HTTP/1.1 308 Permanent Redirect\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n")
    ).start()
    with pytest.raises(DeliveryError, match="HTTP 308") as caught:
        await request(http, "POST", url, content=b"x", seconds=5)
    assert not caught.value.retryable


async def test_a_proxy_in_the_environment_carries_the_request(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    proxy = RawServer(reply(OK))
    proxy_url = (await proxy.start()).removesuffix("/hook")
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with delivery_client() as http:
        answer = await request(http, "POST", "http://hooks.example/hook", content=b"via proxy", seconds=5)
    assert answer.json() == {"ok": True} and proxy.bodies == [b"via proxy"]
