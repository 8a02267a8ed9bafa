"""Retention bench: a year of a busy team's history in SQLite, pruned while alerts keep arriving.

    .venv/bin/python bench/prune.py [--alerts 2000000] [--prune-seconds 180] [--workdir DIR]

1. fill: a migrated SQLite file gets `--alerts` alerts over the past year with their history and
   notifications (bench/fill.py); a copy of it is kept for step 3.
2. `alerthub serve` on it with a retention longer than the history (its own pass finds nothing), new
   alerts posted one per request on 8 connections: the ingest rate without pruning; then
   `alerthub db prune` (the default 90 days) in another process while the load goes on.
3. `alerthub serve` on the copy with the default retention: the worker's own pass, inside the server,
   within a minute of start, while the same load runs.

Each prune is stopped after `--prune-seconds` (a year's backlog takes longer than a bench should);
its throughput is what was deleted in that time. Prints the figures for bench/NOTES.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fill import fill
from sender import Connection
from servers import VENV_BIN, Server, _wait_ready, free_port

LONG = {"resolved": "3650d", "silences": "3650d", "notifications": "3650d"}


def write_config(directory: Path, db: Path, retention: dict[str, str] | None) -> Path:
    storage: dict[str, object] = {"url": f"sqlite:///{db}"}
    if retention:
        storage["retention"] = retention
    path = directory / "alerthub.yaml"
    path.write_text(json.dumps({"storage": storage, "server": {"log_level": "info"}}))  # JSON is YAML
    return path


def start(db: Path, retention: dict[str, str] | None) -> tuple[Server, Path]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-prune-"))
    config = write_config(workdir, db, retention)
    port, log = free_port(), workdir / "server.log"
    args = [str(VENV_BIN / "alerthub"), "serve", "--config", str(config), "--port", str(port)]
    proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=workdir)
    server = Server("alerthub", port, proc, workdir)
    _wait_ready(f"{server.base}/readyz", proc, log, timeout=600)
    return server, config


class Load:
    """New alerts, one per request, on `conns` keep-alive connections, back to back; every answer
    is kept as (finished at, latency, status)."""

    def __init__(self, port: int, conns: int = 8) -> None:
        self.port, self.conns = port, conns
        self.done: list[tuple[float, float, int]] = []
        self.stop = asyncio.Event()
        self.n = 0

    async def _worker(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        conn = Connection(reader, writer)
        while not self.stop.is_set():
            self.n += 1
            labels = {"alertname": "BenchLive", "instance": f"live-{self.n}", "service": f"svc-{self.n % 100}"}
            body = json.dumps([{"labels": labels, "annotations": {"summary": "live"}}]).encode()
            started = time.monotonic()
            status = await conn.post("/api/v2/alerts", body)
            self.done.append((time.monotonic(), time.monotonic() - started, status))
        writer.close()

    async def run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(self.conns)))

    def window(self, begin: float, end: float) -> dict[str, float]:
        inside = [(lat, st) for at, lat, st in self.done if begin <= at < end]
        lats = sorted(lat for lat, _ in inside)
        if not lats:
            return {"rate": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "errors": 0}
        return {
            "rate": len(inside) / (end - begin),
            "p50_ms": statistics.median(lats) * 1000,
            "p99_ms": lats[int(len(lats) * 0.99)] * 1000,
            "max_ms": lats[-1] * 1000,
            "errors": sum(1 for _, st in inside if st >= 300),
        }


TABLES = ("alert", "alert_event", "notification")


def high_ids(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT max(id) FROM {t}").fetchone()[0] for t in TABLES}


def old_rows(db: Path, below: dict[str, int]) -> dict[str, int]:
    """Rows there before the phase began: the load only adds higher ids, so what is gone was pruned."""
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t} WHERE id <= ?", (below[t],)).fetchone()[0] for t in TABLES}


def pruning(db: Path) -> bool:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT 1 FROM lease WHERE name = 'retention'").fetchone() is not None


async def cli_phase(db: Path, baseline_s: float, prune_s: float) -> dict[str, object]:
    server, _ = start(db, LONG)
    load = Load(server.port)
    task = asyncio.create_task(load.run())
    try:
        await asyncio.sleep(5)  # connections warm, the server's own (empty) pass done or not yet begun
        t0 = time.monotonic()
        await asyncio.sleep(baseline_s)
        ids = await asyncio.to_thread(high_ids, db)
        before = await asyncio.to_thread(old_rows, db, ids)
        config = write_config(server.workdir, db, None)
        t1 = time.monotonic()
        prune = await asyncio.create_subprocess_exec(
            str(VENV_BIN / "alerthub"), "db", "prune", "--config", str(config), stdout=subprocess.PIPE
        )
        try:
            await asyncio.wait_for(prune.wait(), prune_s)
        except TimeoutError:
            prune.send_signal(2)  # SIGINT: the batch in hand rolls back, the lease is given back at expiry
            await prune.wait()
        t2 = time.monotonic()
        after = await asyncio.to_thread(old_rows, db, ids)
    finally:
        load.stop.set()
        await task
        server.stop()
    return {"baseline": load.window(t0, t1), "during": load.window(t1, t2), "seconds": t2 - t1, **_gone(before, after)}


async def worker_phase(db: Path, prune_s: float) -> dict[str, object]:
    ids = high_ids(db)
    before = old_rows(db, ids)
    server, _ = start(db, None)
    load = Load(server.port)
    task = asyncio.create_task(load.run())
    t0 = time.monotonic()
    try:
        while not pruning(db) and time.monotonic() - t0 < 90:
            await asyncio.sleep(0.2)
        t1 = time.monotonic()
        while pruning(db) and time.monotonic() - t1 < prune_s:
            await asyncio.sleep(0.5)
        t2 = time.monotonic()
    finally:
        load.stop.set()
        await task
        server.stop()
    after = old_rows(db, ids)
    return {
        "before_pass": load.window(t0 + 5, t1),
        "during": load.window(t1, t2),
        "seconds": t2 - t1,
        **_gone(before, after),
    }


def _gone(before: dict[str, int], after: dict[str, int]) -> dict[str, object]:
    return {f"{t}_pruned": before[t] - after[t] for t in TABLES}


def prepare(workdir: Path, alerts: int) -> tuple[Path, Path, dict[str, float]]:
    db = workdir / "year.db"
    config = write_config(workdir, db, None)
    subprocess.run([str(VENV_BIN / "alerthub"), "db", "upgrade", "--config", str(config)], check=True)
    print(f"filling {db} with {alerts:,} alerts", flush=True)
    figures = fill(db, alerts, datetime.now(UTC))
    figures["size_mb"] = db.stat().st_size / 1e6
    copy = workdir / "year-copy.db"
    shutil.copy(db, copy)
    return db, copy, figures


async def main(args: argparse.Namespace) -> None:
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-year-"))
    db, copy, filled = prepare(workdir, args.alerts)
    print("fill:", json.dumps(filled), flush=True)
    cli = await cli_phase(db, args.baseline_seconds, args.prune_seconds)
    print("db prune beside serve:", json.dumps(cli), flush=True)
    worker = await worker_phase(copy, args.prune_seconds)
    print("worker pass inside serve:", json.dumps(worker), flush=True)
    print(f"sizes after: {db.stat().st_size / 1e6:.0f} MB (db prune), {copy.stat().st_size / 1e6:.0f} MB (worker)")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=2_000_000)
    parser.add_argument("--baseline-seconds", type=float, default=30)
    parser.add_argument("--prune-seconds", type=float, default=180)
    parser.add_argument("--workdir", help="keep the files here (default: a temporary directory, removed)")
    asyncio.run(main(parser.parse_args()))
