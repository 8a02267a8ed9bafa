"""A webhook receiver that records when each benchmark alert arrives.

Run as its own process (`python bench/receiver.py PORT`) so that its work never shares a GIL with
the sender or the driver. It is format-agnostic: it finds benchmark alert ids (`bid-<tag>-<n>`) in
any body, so Alertmanager's webhook and alerthub's webhook channel are counted the same way.

`GET /arrivals/<tag>` answers `{"notifications": N, "ids": {"<n>": [t, ...]}}` with
`time.monotonic()` arrival times (system-wide on Linux, so comparable with the sender's).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections import defaultdict

_ID = re.compile(rb"bid-([a-z0-9]+)-(\d+)")

# tag -> n -> arrival times (one per notification that carried it)
_arrivals: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
_notifications: dict[str, int] = defaultdict(int)


def _record(body: bytes, at: float) -> None:
    seen = {(m.group(1).decode(), int(m.group(2))) for m in _ID.finditer(body)}
    tags = set()
    for tag, n in seen:
        _arrivals[tag][n].append(at)
        tags.add(tag)
    for tag in tags:
        _notifications[tag] += 1


def _answer(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def _query(path: str) -> bytes:
    tag = path.rsplit("/", 1)[-1]
    ids = {str(n): times for n, times in _arrivals.get(tag, {}).items()}
    return json.dumps({"notifications": _notifications.get(tag, 0), "ids": ids}).encode()


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            at = time.monotonic()
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            length = 0
            for line in lines:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            if method == "GET" and path.startswith("/arrivals/"):
                writer.write(_answer("200 OK", _query(path)))
            else:
                _record(body, at)
                writer.write(_answer("200 OK", b"{}"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1])))
