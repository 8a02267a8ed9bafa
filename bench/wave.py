"""The storm's flush waves, in one process: what the dispatcher spends on 100 growing groups.

    .venv/bin/python bench/wave.py [--seconds 10] [--runs 3] [--profile FILE]

The storm workload (`make bench`) ends when the last of 100 groups, each grown by 10 alerts a second
for 10 seconds, is flushed and sent: every second all 100 fall due together, and the last wave's CPU
decides how far behind Alertmanager the last message lands (bench/NOTES.md, sixth step). Across
processes that figure swings by ±100 ms from run to run. This drives the same wave through the real
ingest and dispatcher on a SQLite file, with a hand-moved clock and no HTTP, and times each second's
dispatcher passes (flush, outbox rows, commit; not the sends): one figure per change, quiet enough to
compare two commits.

With --profile, the last wave of the first run is written to FILE (cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerthub.config.models import Config
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.hub import build_hub
from alerthub.services.replay import SimulatedClock
from alerthub.serving import tune_garbage_collector
from alerthub.store.migrate import upgrade

GROUPS = 100
PER_GROUP_PER_SECOND = 10
PER_REQUEST = 10  # as the storm's sender batches


def config(path: Path) -> Config:
    """The storm's routing (bench/servers.py END_TO_END) with an unpaced webhook nobody listens on."""
    return Config.model_validate(
        {
            "storage": {"url": f"sqlite:///{path}"},
            "channels": [
                {
                    "name": "bench",
                    "type": "webhook",
                    "url": "http://127.0.0.1:9/alerthub",
                    "send_resolved": False,
                    "rate_per_second": 1_000_000,
                    "burst": 1_000_000,
                }
            ],
            "receivers": [{"name": "bench", "channels": ["bench"]}],
            "route": {
                "receiver": "bench",
                "group_by": ["alertname", "group"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "4h",
            },
        }
    )


async def waves(seconds: int, profile: Path | None) -> list[float]:
    """Each second's dispatcher passes, in seconds of wall time (this process does nothing else)."""
    clock = SimulatedClock(datetime.now(UTC).replace(microsecond=0))
    with tempfile.TemporaryDirectory(prefix="bench-wave-") as workdir:
        hub = build_hub(config(Path(workdir) / "alerthub.db"), clock=clock)
        await upgrade(hub.db)
        tune_garbage_collector()
        sent, out = 0, []
        for second in range(seconds):
            for _ in range(GROUPS * PER_GROUP_PER_SECOND // PER_REQUEST):
                batch = [_signal(sent + i) for i in range(PER_REQUEST)]
                sent += PER_REQUEST
                await hub.ingest.ingest(batch, known_rules_only=False)
            clock.move_to(clock.now + timedelta(seconds=1))
            profiler = cProfile.Profile() if profile and second == seconds - 1 else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            while await hub.pipeline.dispatcher.run_once():
                pass
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
            out.append(time.perf_counter() - started)
        await hub.db.dispose()
    return out


def _signal(n: int) -> Signal:
    labels = {"group": f"g{n % GROUPS}", "instance": f"bid-{n}", "service": f"svc-{n % 100}"}
    return Signal("BenchStorm", "bench", labels=labels, status=SignalStatus.FIRING)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    lasts, totals = [], []
    for run in range(args.runs):
        timings = asyncio.run(waves(args.seconds, args.profile if run == 0 else None))
        lasts.append(timings[-1])
        totals.append(sum(timings))
        print(f"run {run + 1}: " + ", ".join(f"{t * 1000:.0f}" for t in timings) + " ms per wave", flush=True)
    members = GROUPS * PER_GROUP_PER_SECOND * args.seconds
    print(
        f"last wave ({GROUPS} groups, {members} members): median {statistics.median(lasts) * 1000:.0f} ms;"
        f" all {args.seconds} waves: median {statistics.median(totals) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
