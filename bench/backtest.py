"""Backtest bench: a week of a busy hub's signal log (100,000 signals), replayed by `alerthub backtest` under
the running configuration and a changed one.

    .venv/bin/python bench/backtest.py [--signals 100000] [--days 7] [--workdir DIR] [--profile FILE]

1. fill: a migrated SQLite file gets the log, written through the store's own `signal_log.append`, one
   call per ingest transaction as the hub writes it, ending now:
   - an uptime poller: 100 monitors' response times every 15 minutes, one batch per poll; most are
     steady, 8 hover around the threshold (they flap), 2 go down for a few hours twice a week;
   - a host poller: 4 hosts' CPU, memory and disk every 10 minutes, one batch per poll; two hosts run hot
     now and then;
   - error webhooks: the rest, one signal per request at random times over 60 issues of 6 projects, in
     bursts, some issues resolved later.
2. `alerthub backtest --since {days}d --config NEW.yaml --json` in its own process, timed: NEW changes
   `group_wait` (30s to 2m) and the response-time threshold (3000 to 5000 ms).
   With --profile, the running configuration's replay alone runs in this process under cProfile instead,
   written to FILE.

Prints the figures for bench/NOTES.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from alerthub.config.models import Config
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.store import signal_log
from alerthub.store.database import Database
from alerthub.store.migrate import upgrade

VENV_BIN = Path(sys.executable).parent
ROUTE = {"receiver": "ops", "group_by": ["alertname", "monitor", "host", "project"]}
RUNNING = {
    "channels": [
        {"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"},
        {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "smtp_port": 9, "to": ["ops@example.com"]},
    ],
    "receivers": [{"name": "ops", "channels": ["discord", "mail"]}],
    "rules": [{"name": "hetrixtools_response_time", "thresholds": {"warning": 3000}}],
    "route": {**ROUTE, "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"},
}
NEW = {
    **RUNNING,
    "rules": [{"name": "hetrixtools_response_time", "thresholds": {"warning": 5000}}],
    "route": {**ROUTE, "group_wait": "2m", "group_interval": "5m", "repeat_interval": "4h"},
}

Batch = tuple[datetime, list[Signal]]


def uptime(start: datetime, days: int, rng: random.Random) -> Iterator[Batch]:
    """100 monitors every 15 minutes: 8 flap around 3 s, 2 are down (10 s) for 2-5 hours twice a week."""
    outages = {m: [(rng.uniform(0, days * 86400), rng.uniform(2, 5) * 3600) for _ in range(2)] for m in (0, 1)}
    for step in range(days * 96):
        at = start + timedelta(minutes=15 * step)
        offset = (at - start).total_seconds()
        batch = []
        for m in range(100):
            if m in outages and any(s <= offset < s + d for s, d in outages[m]):
                value = 10_000.0
            elif m < 10:
                value = rng.uniform(2200, 3600)
            else:
                value = rng.uniform(120, 600)
            batch.append(Signal("hetrixtools_response_time", "hetrixtools", value=value, labels={"monitor": f"m{m}"}))
        yield at, batch


def hosts(start: datetime, days: int, rng: random.Random) -> Iterator[Batch]:
    rules = (("system_cpu_high", 40), ("system_memory_high", 60), ("system_disk_high", 70))
    for step in range(days * 144):
        at = start + timedelta(minutes=10 * step, seconds=7)
        batch = []
        for h in range(4):
            hot = h < 2 and rng.random() < 0.08
            for rule, base in rules:
                value = rng.uniform(91, 99) if hot else rng.uniform(base - 20, base + 20)
                batch.append(Signal(rule, "system", value=value, labels={"host": f"web-{h}"}))
        yield at, batch


def errors(start: datetime, days: int, count: int, rng: random.Random) -> Iterator[Batch]:
    """One signal per request, in bursts around random moments; an issue is now and then resolved."""
    span = days * 86400
    times: list[float] = []
    while len(times) < count:
        centre, size = rng.uniform(0, span), rng.randint(1, 60)
        times += [min(span - 1, max(0.0, centre + rng.expovariate(1 / 90))) for _ in range(size)]
    for offset in sorted(times[:count]):
        issue = rng.randint(0, 59)
        labels = {"project": f"p{issue % 6}", "issue": f"i{issue}"}
        status = SignalStatus.RESOLVED if rng.random() < 0.05 else SignalStatus.FIRING
        # Microseconds apart at most: requests never share a transaction here, as one at a time would not.
        at = start + timedelta(seconds=offset, microseconds=rng.randint(0, 999_999))
        yield at, [Signal("sentry_issue", "sentry", labels=labels, status=status)]


async def fill(path: Path, signals: int, days: int) -> int:
    """Returns how many ingest transactions (batches) the log holds."""
    rng = random.Random(20261209)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days) + timedelta(minutes=1)
    polled = [*uptime(start, days, rng), *hosts(start, days, rng)]
    polled_count = sum(len(b) for _, b in polled)
    batches = sorted([*polled, *errors(start, days, max(0, signals - polled_count), rng)], key=lambda b: b[0])
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    async with db.write() as conn:
        for at, batch in batches:
            await signal_log.append(conn, at, [(s, False) for s in batch])
    await db.dispose()
    return len(batches)


def write_configs(workdir: Path) -> tuple[Path, Path]:
    for config in (RUNNING, NEW):
        Config.model_validate(config)
    running, new = workdir / "alerthub.yaml", workdir / "new.yaml"
    running.write_text(yaml.safe_dump({**RUNNING, "storage": {"url": f"sqlite:///{workdir / 'hub.db'}"}}))
    new.write_text(yaml.safe_dump(NEW))
    return running, new


def run_cli(running: Path, new: Path, days: int) -> tuple[float, dict[str, object]]:
    env = {**os.environ, "ALERTHUB_CONFIG": str(running)}
    command = [str(VENV_BIN / "alerthub"), "backtest", "--since", f"{days}d", "--config", str(new), "--json"]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"backtest failed ({done.returncode}):\n{done.stderr}")
    return took, json.loads(done.stdout)


def profile(running: Path, days: int, out: str) -> None:
    from typer.testing import CliRunner

    from alerthub.cli.main import app

    os.environ["ALERTHUB_CONFIG"] = str(running)
    with cProfile.Profile() as prof:
        # The running configuration alone: with NEW the replays run in processes of their own, unprofiled.
        CliRunner().invoke(app, ["backtest", "--since", f"{days}d", "--json"])
    prof.dump_stats(out)
    print(f"profile written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--profile", default=None, help="run in-process under cProfile, stats to this file")
    args = parser.parse_args()
    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="alerthub-bench-backtest-") as workdir:
            bench(Path(workdir), args)
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        bench(args.workdir, args)


def bench(workdir: Path, args: argparse.Namespace) -> None:
    running, new = write_configs(workdir)
    started = time.perf_counter()
    batches = asyncio.run(fill(workdir / "hub.db", args.signals, args.days))
    took = time.perf_counter() - started
    print(f"filled {args.signals} signals in {batches} batches over {args.days} days in {took:.1f}s")
    if args.profile:
        profile(running, args.days, args.profile)
        return
    took, report = run_cli(running, new, args.days)
    replayed = int(str(report["signals"]))
    print(f"alerthub backtest --since {args.days}d --config new.yaml: {took:.1f}s for {replayed} signals, two replays")
    print(f"  {2 * replayed / took:,.0f} signals replayed per second, {replayed / took:,.0f} of the log per second")
    print(f"  messages before/after: {json.dumps(report['running'])} / {json.dumps(report['new'])}")
    print(f"  machine: {os.cpu_count()} CPUs, {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
