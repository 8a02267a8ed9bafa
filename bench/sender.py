"""An open-loop sender for the end-to-end phases, and a closed-loop loader for priming.

Open loop (`--rate > 0`): request i is sent at t0 + i/rate whatever the server's answers, on a
pool of keep-alive connections that grows when all are busy, so a slow server shows as latency
instead of slowing the sender down. Closed loop (`--rate 0`): `--conns` workers send back to back.

Writes one JSON line to stdout: send time (monotonic) per alert id, request latencies, statuses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter


def alert(tag: str, n: int, groups: int) -> dict[str, object]:
    group = f"g{n % groups}" if groups else f"bid-{tag}-{n}"
    return {
        "labels": {
            "alertname": f"Bench{tag}",
            "instance": f"bid-{tag}-{n}",
            "group": group,
            "service": f"svc-{n % 100}",
            "severity": "warning",
        },
        "annotations": {"summary": f"bench alert {n}"},
        "generatorURL": "http://bench.local/graph",
    }


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, path: str, body: bytes) -> int:
        head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        self.writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status_line = await self.reader.readuntil(b"\r\n")
        rest = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in rest.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length:
            await self.reader.readexactly(length)
        return int(status_line.split(b" ", 2)[1])


class Sender:
    def __init__(self, host: str, port: int, path: str) -> None:
        self.host, self.port, self.path = host, port, path
        self.idle: list[Connection] = []
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.reconnects = 0

    async def _connection(self) -> Connection:
        if self.idle:
            return self.idle.pop()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return Connection(reader, writer)

    async def send(self, ids: list[int], body: bytes) -> None:
        reused = bool(self.idle)
        conn = await self._connection()
        started = time.monotonic()
        for n in ids:
            self.sent_at[n] = started
        try:
            status = await conn.post(self.path, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                self.statuses[-1] += 1
                return
            # A connection left idle past the server's keep-alive timeout is closed by then: send again on
            # a new one, as Go's and Python's HTTP clients do, rather than count the alerts as lost.
            self.reconnects += 1
            conn.writer.close()
            conn = Connection(*await asyncio.open_connection(self.host, self.port))
            try:
                status = await conn.post(self.path, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.statuses[-1] += 1
                return
        self.latencies.append(time.monotonic() - started)
        self.statuses[status] += 1
        self.idle.append(conn)


def batches(args: argparse.Namespace) -> list[tuple[list[int], bytes]]:
    out = []
    for start in range(args.start, args.start + args.count, args.batch):
        ids = list(range(start, min(start + args.batch, args.start + args.count)))
        out.append((ids, json.dumps([alert(args.tag, n, args.groups) for n in ids]).encode()))
    return out


async def open_loop(sender: Sender, work: list[tuple[list[int], bytes]], rate: float) -> None:
    interval = 1.0 / rate
    t0 = time.monotonic() + 0.05
    tasks = []
    for i, (ids, body) in enumerate(work):
        delay = t0 + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(sender.send(ids, body)))
    await asyncio.gather(*tasks)


async def closed_loop(sender: Sender, work: list[tuple[list[int], bytes]], conns: int) -> None:
    queue = list(reversed(work))

    async def worker() -> None:
        while queue:
            ids, body = queue.pop()
            await sender.send(ids, body)

    await asyncio.gather(*(worker() for _ in range(conns)))


async def main(args: argparse.Namespace) -> None:
    sender = Sender("127.0.0.1", args.port, args.path)
    work = batches(args)
    started = time.monotonic()
    if args.rate > 0:
        await open_loop(sender, work, args.rate / args.batch)
    else:
        await closed_loop(sender, work, args.conns)
    elapsed = time.monotonic() - started
    cpu = time.process_time()
    result = {
        "started": started,
        "elapsed": elapsed,
        "cpu": cpu,
        "sent_at": sender.sent_at,
        "latencies": sender.latencies,
        "statuses": dict(sender.statuses),
        "reconnects": sender.reconnects,
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/v2/alerts")
    parser.add_argument("--tag", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.0, help="alerts per second; 0: closed loop")
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--groups", type=int, default=0, help="0: each alert its own group")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(parser.parse_args()))
