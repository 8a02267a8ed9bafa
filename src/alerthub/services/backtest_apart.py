"""The replays of a backtest side by side, each in a process of its own: they share nothing (each has its
own throwaway database and reads the log itself), and one replay keeps one core busy, so on a machine
with two cores the comparison takes about as long as one replay instead of two.

Processes are spawned, not forked: the parent has an event loop and database connections open. The
replays report progress through one shared counter, which the parent reads a few times a second."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from alerthub.config.models import Config
from alerthub.services.backtest_replay import HubFactory, Progress, replay_configuration
from alerthub.services.backtest_tally import Outcome
from alerthub.store.database import Database

_POLL = 0.2  # seconds between readings of the progress counter

_replayed: Synchronized[int] | None = None  # the shared counter, in each replaying process


@dataclass(frozen=True, slots=True)
class Job:
    """One replay for another process; pickled across, so `build` must be a module-level function."""

    source_url: str
    build: HubFactory
    workdir: Path
    config: Config
    span: tuple[datetime, datetime]


async def side_by_side(jobs: Sequence[Job], progress: Progress) -> list[Outcome]:
    context = multiprocessing.get_context("spawn")
    counter: Synchronized[int] = context.Value("q", 0)
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(len(jobs), mp_context=context, initializer=_share, initargs=(counter,)) as pool:
        done = asyncio.gather(*(loop.run_in_executor(pool, _replay, job) for job in jobs))
        told = 0
        while not done.done():
            await asyncio.wait([done], timeout=_POLL)
            replayed = counter.value
            if replayed > told:
                progress(replayed - told)
                told = replayed
        return list(await done)


def _share(counter: Synchronized[int]) -> None:
    global _replayed
    _replayed = counter


def _heard(replayed: int) -> None:
    if _replayed is not None:
        with _replayed.get_lock():
            _replayed.value += replayed


def _replay(job: Job) -> Outcome:
    return asyncio.run(_replay_here(job))


async def _replay_here(job: Job) -> Outcome:
    source = Database(job.source_url)
    try:
        return await replay_configuration(source, job.build, job.workdir, job.config, job.span, _heard)
    finally:
        await source.dispose()
