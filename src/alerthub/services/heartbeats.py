"""Dead man's switches: silence is a signal.

A heartbeat promises a ping at least every `expect_every` (plus `grace`). It is defined in config
(`heartbeats[]`), by its first ping (`?expect_every=5m&grace=1m`), or by a webhook source with
`expect_every` (`integrations.sentry.expect_every`, ...), whose every accepted webhook is a ping.
A checker raises `heartbeat_missing` for each heartbeat past its promise; the next ping resolves it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from alerthub.config.models import Config
from alerthub.domain.clock import Clock
from alerthub.domain.durations import format_duration
from alerthub.domain.heartbeat import Heartbeat, HeartbeatStatus
from alerthub.domain.instance import new_instance_id
from alerthub.domain.labels import fingerprint
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.summaries import say
from alerthub.errors import ConflictError, NotFoundError
from alerthub.ingest.transaction import IngestService
from alerthub.loops import wait_or_stop
from alerthub.sources.registry import resolve
from alerthub.store import alerts as alert_store
from alerthub.store import heartbeats as store
from alerthub.store import monitors
from alerthub.store.database import Database
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

RULE = "heartbeat_missing"
SOURCE = "heartbeat"
CHECK_EVERY = timedelta(seconds=15)
# `:` cannot appear in a configured or pinged name, so a webhook's heartbeat never collides with one.
WEBHOOK_PREFIX = "webhook:"
_IDENTITY = ("heartbeat",)


class Origin(StrEnum):
    CONFIG = "config"
    WEBHOOK = "webhook"
    PING = "ping"


@dataclass(frozen=True, slots=True)
class HeartbeatView:
    beat: Heartbeat
    status: HeartbeatStatus
    origin: Origin


def webhook_heartbeat(source: str) -> str:
    return f"{WEBHOOK_PREFIX}{source}"


def specs_from_config(config: Config) -> dict[str, tuple[Heartbeat, Origin]]:
    specs = {
        h.name: (Heartbeat(h.name, h.expect_every, h.grace, dict(h.labels)), Origin.CONFIG) for h in config.heartbeats
    }
    for source, every in resolve(config).webhook_promises():
        name = webhook_heartbeat(source)
        specs[name] = (Heartbeat(name, every, timedelta(0), {"webhook": source}), Origin.WEBHOOK)
    return specs


def alert_fingerprint(name: str) -> str:
    return fingerprint(RULE, {"heartbeat": name}, _IDENTITY)


class HeartbeatService:
    def __init__(self, db: Database, clock: Clock, ingest: IngestService, config: Config, metrics: Metrics) -> None:
        self.db = db
        self.clock = clock
        self.ingest = ingest
        self.metrics = metrics
        self.specs = specs_from_config(config)
        self.log_failure = LoopFailureLog(logger, "heartbeat check failed")

    async def ping(
        self, name: str, expect_every: timedelta | None = None, grace: timedelta | None = None
    ) -> HeartbeatView:
        now = self.clock()
        async with self.db.write() as conn:
            existing = await store.get(conn, name)
            beat = await store.define(conn, self._definition(name, existing, expect_every, grace), now, ping=True)
        await self._recover(beat, now)
        return self._view(beat, now)

    async def source_seen(self, source: str) -> None:
        """An accepted webhook from `source`: a ping, if that source promised to keep talking."""
        name = webhook_heartbeat(source)
        if name in self.specs:
            await self.ping(name)

    async def overview(self) -> list[HeartbeatView]:
        now = self.clock()
        async with self.db.read() as conn:
            beats = {b.name: b for b in await store.list_all(conn)}
        # Configured but not yet written by the checker: listed as waiting all the same.
        for name, (spec, _) in self.specs.items():
            beats.setdefault(name, spec)
        return [self._view(beats[name], now) for name in sorted(beats)]

    async def delete(self, name: str) -> None:
        if name in self.specs:
            raise ConflictError(f"heartbeat {name!r} is defined in the configuration; remove it there")
        async with self.db.write() as conn:
            if not await store.delete_one(conn, name):
                raise NotFoundError(f"no heartbeat named {name!r}")
        await self._resolve(name, say("heartbeat_deleted", name=name))

    async def check_once(self, now: datetime) -> list[Signal]:
        """One pass: fire for every heartbeat past its promise that has no open alert, resolve the
        open alerts of those that are fine again. Returns the signals it ingested."""
        beats = await self._synced(now)
        fingerprints = {name: alert_fingerprint(name) for name in beats}
        async with self.db.read() as conn:
            alerts = await alert_store.load_by_fingerprints(conn, fingerprints.values())
        signals: list[Signal] = []
        for name, beat in beats.items():
            found = alerts.get(fingerprints[name])
            is_open = found is not None and found.state.is_open
            missing = beat.status(now) is HeartbeatStatus.MISSING
            if missing and not is_open:
                signals.append(self._missing(beat, now))
            elif not missing and is_open:
                signals.append(self._back(beat, f"heartbeat {name} is on time again"))
        if signals:
            await self.ingest.ingest(signals)
        return signals

    async def run(self, stop: asyncio.Event) -> None:
        owner = new_instance_id()
        while not stop.is_set():
            try:
                now = self.clock()
                if await self.lead(owner, now):
                    await self.check_once(now)
            except Exception:
                self.log_failure(extra={"loop": "heartbeats"})
                self.metrics.loop_errors.labels("heartbeats").inc()
            await wait_or_stop(CHECK_EVERY.total_seconds(), stop)

    async def lead(self, owner: str, now: datetime) -> bool:
        """With several instances on one database, one checks at a time (no doubled alerts); the lease
        outlives two passes, so another instance takes over within 30 s of the leader's death."""
        async with self.db.write() as conn:
            return await monitors.take_lease(conn, "heartbeats", owner, now, now + 2 * CHECK_EVERY)

    def _definition(
        self, name: str, existing: Heartbeat | None, expect_every: timedelta | None, grace: timedelta | None
    ) -> Heartbeat:
        spec = self.specs.get(name)
        if spec is not None:
            return spec[0]  # the configuration wins over whatever a ping asks for
        if expect_every is None and existing is None:
            raise NotFoundError(
                f"unknown heartbeat {name!r}: configure it in heartbeats[] or give ?expect_every= (e.g. 5m) "
                "on its first ping"
            )
        base = existing or Heartbeat(name, timedelta(0), timedelta(0))
        return replace(
            base, expect_every=expect_every or base.expect_every, grace=grace if grace is not None else base.grace
        )

    async def _synced(self, now: datetime) -> dict[str, Heartbeat]:
        """Every checked heartbeat, after writing configured ones that are new or changed in config."""
        async with self.db.read() as conn:
            beats = {b.name: b for b in await store.list_all(conn)}
        stale = [spec for name, (spec, _) in self.specs.items() if _changed(beats.get(name), spec)]
        if stale:
            async with self.db.write() as conn:
                for spec in stale:
                    beats[spec.name] = await store.define(conn, spec, now)
        # A webhook heartbeat whose `expect_every` was removed from the config is no longer a promise.
        return {n: b for n, b in beats.items() if not n.startswith(WEBHOOK_PREFIX) or n in self.specs}

    async def _recover(self, beat: Heartbeat, now: datetime) -> None:
        async with self.db.read() as conn:
            found = await alert_store.load_by_fingerprints(conn, [alert_fingerprint(beat.name)])
        alert = next(iter(found.values()), None)
        if alert is not None and alert.state.is_open:
            late = format_duration(now - alert.first_seen)
            await self.ingest.ingest([self._back(beat, say("heartbeat_back", name=_title(beat.name), duration=late))])

    async def _resolve(self, name: str, summary: str) -> None:
        await self.ingest.ingest([self._back(Heartbeat(name, timedelta(0), timedelta(0)), summary)])

    def _missing(self, beat: Heartbeat, now: datetime) -> Signal:
        silent = format_duration(now - beat.since) if beat.since else "ever"
        key = ("heartbeat_silent" if beat.last_ping_at else "heartbeat_never") + ("_grace" if beat.grace else "")
        spans = {"duration_every": format_duration(beat.expect_every), "duration_grace": format_duration(beat.grace)}
        annotations = {
            "summary": say(key, name=_title(beat.name), duration=silent, **spans),
            "expect_every": format_duration(beat.expect_every),
            "grace": format_duration(beat.grace),
            "last_ping_at": beat.last_ping_at.isoformat() if beat.last_ping_at else "never",
        }
        return Signal(
            rule_name=RULE,
            source=SOURCE,
            value=beat.overdue_by(now).total_seconds(),
            labels={**beat.labels, "heartbeat": beat.name},
            annotations=annotations,
            status=SignalStatus.FIRING,
            identity=_IDENTITY,
        )

    def _back(self, beat: Heartbeat, summary: str) -> Signal:
        return Signal(
            rule_name=RULE,
            source=SOURCE,
            labels={"heartbeat": beat.name},
            annotations={"summary": summary},
            status=SignalStatus.RESOLVED,
            identity=_IDENTITY,
        )

    def _view(self, beat: Heartbeat, now: datetime) -> HeartbeatView:
        spec = self.specs.get(beat.name)
        return HeartbeatView(beat, beat.status(now), spec[1] if spec else Origin.PING)


def _changed(row: Heartbeat | None, spec: Heartbeat) -> bool:
    return row is None or (row.expect_every, row.grace, row.labels) != (spec.expect_every, spec.grace, spec.labels)


def _title(name: str) -> str:
    if name.startswith(WEBHOOK_PREFIX):
        return f"webhook source {name.removeprefix(WEBHOOK_PREFIX)}"
    return f"heartbeat {name}"
