"""Outbound HTTP for delivery: alerthub's delivery client against raw aiohttp and stock httpx.

The same webhook POSTs (a notification-sized JSON body, an Idempotency-Key) go to the benchmark's
loopback receiver (its own process) from each client in turn, at the webhook lane's width (32 in
flight, what the bench's webhook phase runs) and one at a time (a paced channel: Discord, Slack and
Telegram send in order, about one at a time). Each client runs in a fresh process, so what it costs is
its own process's CPU per request. Run: `.venv/bin/python bench/transport.py [REQUESTS]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from servers import start_receiver

CLIENTS = ("alerthub", "httpx", "aiohttp")
WIDTHS = (32, 1)
BODY = json.dumps({"receiver": "bench", "status": "firing", "alerts": [{"labels": {"alertname": "bid-t-1"}}] * 3})

Post = Callable[[int], Awaitable[int]]


async def _drive(post: Post, requests: int, width: int) -> tuple[float, float]:
    """Sends `requests` POSTs, `width` at a time; returns (CPU seconds, wall seconds) of this process."""
    for i in range(50):  # warm the connections
        await post(i)
    queue = iter(range(requests))

    async def lane() -> None:
        for i in queue:
            status = await post(i)
            assert status == 200, status

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(width)))
    return time.process_time() - cpu, time.perf_counter() - wall


async def _run(client: str, url: str, requests: int, width: int) -> tuple[float, float]:
    headers = {"Content-Type": "application/json"}
    if client == "aiohttp":
        import aiohttp

        async with aiohttp.ClientSession() as session:

            async def post_aiohttp(i: int) -> int:
                async with session.post(url, data=BODY, headers={**headers, "Idempotency-Key": str(i)}) as r:
                    await r.read()
                    return r.status

            return await _drive(post_aiohttp, requests, width)
    if client == "alerthub":
        from alerthub.delivery.client import DeliveryClient

        async with DeliveryClient() as ours:

            async def post_ours(i: int) -> int:
                answer = await ours.request(
                    "POST", url, content=BODY.encode(), headers={**headers, "Idempotency-Key": str(i)}, timeout=10
                )
                return answer.status_code

            return await _drive(post_ours, requests, width)
    import httpx

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=64, max_keepalive_connections=64)) as http:

        async def post_httpx(i: int) -> int:
            r = await http.request("POST", url, content=BODY, headers={**headers, "Idempotency-Key": str(i)})
            return r.status_code

        return await _drive(post_httpx, requests, width)


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    receiver, port = start_receiver()
    url = f"http://127.0.0.1:{port}/hook"
    rows = []
    try:
        for width in WIDTHS:
            for client in CLIENTS:
                n = requests if width > 1 else requests // 5
                out = subprocess.run(
                    [sys.executable, __file__, "--one", client, url, str(n), str(width)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "PYTHONHASHSEED": "0"},
                )
                cpu, wall = map(float, out.stdout.split())
                rows.append((width, client, n, cpu / n * 1e6, n / wall))
    finally:
        receiver.terminate()
    print(f"{'in flight':>9}  {'client':<9} {'requests':>8}  {'CPU µs/request':>14}  {'requests/s':>10}")
    for width, client, n, cpu_us, rate in rows:
        print(f"{width:>9}  {client:<9} {n:>8}  {cpu_us:>14.0f}  {rate:>10.0f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        _, _, name, target, count, lanes = sys.argv
        cpu_s, wall_s = asyncio.run(_run(name, target, int(count), int(lanes)))
        print(cpu_s, wall_s)
    else:
        main()
