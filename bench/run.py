"""`make bench`: alerthub side by side with Prometheus Alertmanager, on loopback, in one run.

Every workload starts both servers afresh, sends them the same alerts through the same endpoint
(`POST /api/v2/alerts`) and reads their CPU seconds and peak RSS from /proc. The table is printed
and appended to bench/RESULTS.md. Set ALERTHUB_BENCH_POSTGRES_URL to run alerthub again on a fresh
PostgreSQL database. BENCH_ONLY=a,b limits the run to workloads whose names contain a or b.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from phases import Result, end_to_end, listing, storm, throughput
from report import render, save
from servers import END_TO_END, QUIET, THROUGHPUT, Routing, Server, start_alerthub, start_alertmanager, start_receiver

AM_BINARY = "prometheus-alertmanager"


def ensure_tools() -> str:
    """wrk and Alertmanager come from Debian; install them when missing (CI does the same)."""
    missing = [
        pkg for pkg, binary in (("wrk", "wrk"), ("prometheus-alertmanager", AM_BINARY)) if not shutil.which(binary)
    ]
    if missing:
        print(f"installing {' '.join(missing)} with apt-get", flush=True)
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", *missing], check=True)
    binary = shutil.which(AM_BINARY)
    assert binary is not None
    return binary


Workload = tuple[str, Routing, Callable[[Server], Result]]


def workloads(receiver_port: int, *, with_listing: bool, connections: tuple[int, ...] = (16, 64)) -> list[Workload]:
    out: list[Workload] = []
    for dedup in (False, True):
        for per in (1, 100):
            for conns in connections:
                name = f"{'dedup' if dedup else 'new'} {per}/req c{conns}"
                out.append((name, THROUGHPUT, _bind(throughput, name, per_request=per, conns=conns, dedup=dedup)))
    for rate in (200, 1000):
        name = f"e2e {rate}/s"
        out.append((name, END_TO_END, _bind(end_to_end, name, receiver_port=receiver_port, rate=rate)))
    out.append(("storm 10k/100 svc", END_TO_END, _bind(storm, "storm 10k/100 svc", receiver_port=receiver_port)))
    if with_listing:
        out.append(("list 100k open", QUIET, _bind(listing, "list 100k open")))
    return out


def _bind(fn: Callable[..., Result], name: str, **kwargs: object) -> Callable[[Server], Result]:
    return lambda server: fn(server, name, **kwargs)


def run_one(start: Callable[[], Server], phase: Callable[[Server], Result], idle: dict[str, float]) -> Result:
    server = start()
    try:
        time.sleep(0.5)
        idle.setdefault(server.name, server.rss_mb())
        return phase(server)
    finally:
        server.stop()


def fresh_postgres(base: str) -> tuple[str, Callable[[], None]]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from alerthub.store.database import async_url

    admin = async_url(base)

    async def execute(sql: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    name = f"alerthub_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    return url, lambda: asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# Workloads run again on PostgreSQL with one instance and with three on the same database.
SCALING = ("new 1/req c16", "e2e 200/s")
INSTANCES = (1, 3)


def postgres_pass(base: str, receiver_port: int, only: list[str]) -> list[Result]:
    """Every workload at 16 connections with `serve`'s default workers (one per core), then SCALING
    with 1 and with 3 worker processes: each worker is a whole instance (its own pool, leases,
    dispatcher and delivery), so `--workers 3` is three instances on one database behind one port.
    16 connections only, so that the whole run stays well under 15 minutes."""
    try:
        fresh_postgres(base)[1]()
    except Exception as exc:  # any reason it cannot connect: say so, and measure the rest
        print(f"-- PostgreSQL pass skipped: {base} does not answer ({exc})", flush=True)
        return []
    runs: list[tuple[str, Routing, Callable[[Server], Result], int | None, str]] = [
        (name, routing, phase, None, "alerthub-pg")
        for name, routing, phase in workloads(receiver_port, with_listing=False, connections=(16,))
    ]
    runs += [
        (name, routing, phase, n, f"alerthub-pg-{n}i")
        for n in INSTANCES
        for name, routing, phase in workloads(receiver_port, with_listing=False, connections=(16,))
        if name in SCALING
    ]
    results = []
    for name, routing, phase, workers, label in runs:
        if only and not any(o in name for o in only):
            continue
        print(f"-- {name} ({label})", flush=True)
        url, drop = fresh_postgres(base)
        try:
            r = run_one(lambda rt=routing, u=url, w=workers: start_alerthub(rt, receiver_port, u, workers=w), phase, {})
        finally:
            drop()
        r.server = label
        results.append(r)
    return results


def main() -> None:
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
    am_binary = ensure_tools()
    receiver, receiver_port = start_receiver()
    started = time.monotonic()
    results: list[Result] = []
    idle: dict[str, float] = {}
    try:
        for name, routing, phase in workloads(receiver_port, with_listing=True):
            if only and not any(o in name for o in only):
                continue
            print(f"-- {name}", flush=True)
            r = run_one(lambda rt=routing: start_alerthub(rt, receiver_port), phase, idle)
            results.append(r)
            if name.startswith("list"):
                continue
            results.append(run_one(lambda rt=routing: start_alertmanager(am_binary, rt, receiver_port), phase, idle))
        postgres = os.environ.get("ALERTHUB_BENCH_POSTGRES_URL")
        if postgres:
            results += postgres_pass(postgres, receiver_port, only)
    finally:
        receiver.terminate()
        receiver.wait()
    elapsed = time.monotonic() - started
    text = render(results, idle, elapsed, am_binary)
    print(text)
    if not only:
        save(text)


if __name__ == "__main__":
    main()
