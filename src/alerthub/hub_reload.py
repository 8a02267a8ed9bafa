"""Configuration reload, part of the composition root: on SIGHUP, `POST /-/reload`, or another instance's
reload heard over the broadcast (so one request reaches every instance on a PostgreSQL database).

The file is read and checked whole first; a broken one changes nothing, and the answer and the log name
every problem with its location. Then the boxes are built for it on the running hub's database,
counters, live feed and broadcast (hub.build_hub), the background loops built from the configuration are
stopped (each finishes the item in hand, as at shutdown), the new boxes are swapped into the running hub
in one step, and their loops start. Requests in flight finish with the boxes they started with.

`server`, `storage` and `auth` are read once at start (the listening socket, the database, the access
policy): a change there is reported as needing a restart, and the running values stay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from alerthub.config.models import Config
from alerthub.errors import ConfigError, Problem
from alerthub.hub import Hub, build_hub, load_config
from alerthub.store.broadcast import Topic

logger = logging.getLogger(__name__)

RESTART_KEYS = ("server", "storage", "auth")
SWAPPED = ("config", "rules", "hooks", "ingest", "alerts", "heartbeats", "pipeline", "delivery", "oncall", "escalator")
# Loops that do not come from the configuration: they keep running through a reload.
KEPT_LOOPS = frozenset({"broadcast", "token-usage"})
# How long a stopping loop may take to finish the item in hand before it is cancelled.
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class ConfigSource:
    """Where the running configuration came from: the path `serve` was given (None: ALERTHUB_CONFIG,
    ./alerthub.yaml, the environment), and the file as read at start, before command-line overrides."""

    path: Path | None
    at_start: Config

    def load(self) -> Config:
        return load_config(self.path)


@dataclass(frozen=True)
class ReloadOutcome:
    ok: bool
    problems: tuple[Problem, ...] = ()
    restart_needed: tuple[str, ...] = ()  # top-level keys changed in the file that apply only at restart


class Loops:
    """The background loops this process runs (those its role allows), started and stopped by name."""

    def __init__(self, hub: Hub, allowed: Callable[[str], bool]) -> None:
        self.hub = hub
        self.allowed = allowed
        self.running: dict[str, tuple[asyncio.Event, asyncio.Task[None]]] = {}

    def start(self, names: Iterable[str] | None = None) -> None:
        wanted = None if names is None else set(names)
        for name, run in self.hub.background.items():
            if (wanted is None or name in wanted) and self.allowed(name) and name not in self.running:
                stop = asyncio.Event()
                self.running[name] = (stop, asyncio.create_task(run(stop), name=name))

    async def stop(self, names: Iterable[str] | None = None) -> None:
        wanted = None if names is None else set(names)
        chosen = [name for name in self.running if wanted is None or name in wanted]
        for name in chosen:
            self.running[name][0].set()
        tasks = [self.running.pop(name)[1] for name in chosen]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
            for task in late:
                task.cancel()


class Reloader:
    def __init__(self, hub: Hub, loops: Loops, source: ConfigSource) -> None:
        self.hub = hub
        self.loops = loops
        self.source = source
        self._lock = asyncio.Lock()
        self._requested: set[asyncio.Task[ReloadOutcome]] = set()
        hub.broadcast.subscribe(Topic.RELOAD, self._heard, self._heard_gap)

    def request(self, origin: str, *, announce: bool = True) -> None:
        """From a signal handler or a broadcast callback: reload soon, on the loop."""
        task = asyncio.get_running_loop().create_task(self.reload(origin, announce=announce), name="reload")
        self._requested.add(task)
        task.add_done_callback(self._requested.discard)

    async def reload(self, origin: str, *, announce: bool = True) -> ReloadOutcome:
        """Reload from the file; `announce` tells the other instances on the database to do the same."""
        async with self._lock:
            try:
                config = self.source.load()
                running = {key: getattr(self.hub.config, key) for key in RESTART_KEYS}
                fresh = build_hub(config.model_copy(update=running), clock=self.hub.clock, running=self.hub)
            except ConfigError as exc:
                return self._refused(exc.problems, origin)
            await self._swap(fresh)
            return self._applied(config, origin, announce)

    async def _swap(self, fresh: Hub) -> None:
        rebuilt = (set(self.hub.background) | set(fresh.background)) - KEPT_LOOPS
        await self.loops.stop(rebuilt)
        for field in SWAPPED:
            setattr(self.hub, field, getattr(fresh, field))
        for name in rebuilt:
            self.hub.background.pop(name, None)
            if name in fresh.background:
                self.hub.background[name] = fresh.background[name]
        self.loops.start(rebuilt)

    def _applied(self, config: Config, origin: str, announce: bool) -> ReloadOutcome:
        restart = tuple(k for k in RESTART_KEYS if getattr(config, k) != getattr(self.source.at_start, k))
        self.hub.metrics.reload_ok.set(1)
        self.hub.metrics.reload_at.set(self.hub.clock().timestamp())
        logger.info("configuration reloaded (%s)", origin, extra={"origin": origin})
        if restart:
            logger.warning(
                "configuration reloaded, but changes to %s take effect only after a restart", ", ".join(restart)
            )
        if announce:
            self.hub.broadcast.publish(Topic.RELOAD, origin[:200])
        return ReloadOutcome(True, (), restart)

    def _refused(self, problems: list[Problem], origin: str) -> ReloadOutcome:
        self.hub.metrics.reload_ok.set(0)
        logger.error(
            "configuration reload (%s) refused, the running configuration stays: %s",
            origin,
            "; ".join(str(p) for p in problems),
            extra={"origin": origin},
        )
        return ReloadOutcome(False, tuple(problems))

    def _heard(self, payload: str) -> None:
        self.request(f"asked by another instance ({payload})", announce=False)

    def _heard_gap(self) -> None:
        # A reload may have been asked while the broadcast was away: reading the file again is harmless.
        self.request("broadcast reconnected", announce=False)
