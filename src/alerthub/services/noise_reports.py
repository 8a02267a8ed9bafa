"""The weekly noise report: to each receiver that asks (`receivers[].noise_report`), once a week, the
noisiest rules and assets, how many messages it got and how many of them out of hours (22:00-08:00 on the
report's clock), mean times to acknowledge and resolve, the alerts that began flapping, and a link to the
overview. Sent once per week and receiver, however many instances run; a hub that was down at the hour
sends it when it is back, the same day."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.config.models import Config
from alerthub.config.routes import NoiseReportConfig, ReceiverConfig
from alerthub.domain.clock import Clock, utc_text
from alerthub.domain.labels import where_label
from alerthub.domain.notification import NoiseReport
from alerthub.loops import every
from alerthub.pipeline.enqueue import PayloadBuilder, channels_of, row
from alerthub.store import noise_reports, outbox, stats
from alerthub.store.database import Database
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

REASON = "noise report"
KIND = "noise_report"
WEEK = timedelta(days=7)
LATE = timedelta(days=1)  # a report this late is skipped: next week's says the same and more
LOOK_EVERY = 60.0
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NIGHT = (time(22, 0), time(8, 0))
_TOP = 5


def last_slot(cfg: NoiseReportConfig, now: datetime) -> datetime:
    """The latest moment at or before `now` that is the report's weekday and hour on its clock."""
    local = now.astimezone(ZoneInfo(cfg.time_zone))
    days_back = (local.weekday() - _DAYS.index(cfg.weekday)) % 7
    day = (local - timedelta(days=days_back)).date()
    slot = datetime.combine(day, cfg.at, tzinfo=local.tzinfo)
    return slot if slot <= now else slot - WEEK


def out_of_hours(times: Sequence[datetime], zone: str) -> int:
    tz = ZoneInfo(zone)
    return sum(1 for at in times if not _NIGHT[1] <= at.astimezone(tz).time() < _NIGHT[0])


class NoiseReports:
    """`config` and `builder`: the running configuration's, looked up at each pass (reloads replace them)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        running: Callable[[], tuple[Config, PayloadBuilder]],
        wake_delivery: asyncio.Event,
    ) -> None:
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.running = running
        self.wake_delivery = wake_delivery
        self.log_failure = LoopFailureLog(logger, "noise report pass failed")
        self._done: dict[str, datetime] = {}  # receiver -> the last week known sent (by any instance)

    async def run_once(self) -> int:
        """Send every report due now; returns how many messages were queued."""
        config, builder = self.running()
        now, queued = self.clock(), 0
        for receiver in config.receivers:
            if receiver.noise_report is None:
                continue
            slot = last_slot(receiver.noise_report, now)
            if now - slot < LATE and self._done.get(receiver.name) != slot:
                queued += await self._send(config, builder, receiver, receiver.noise_report, slot)
                self._done[receiver.name] = slot
        if queued:
            self.wake_delivery.set()
        return queued

    async def _send(
        self, config: Config, builder: PayloadBuilder, receiver: ReceiverConfig, cfg: NoiseReportConfig, slot: datetime
    ) -> int:
        async with self.db.write() as conn:
            if not await noise_reports.first_report(conn, receiver.name, slot, self.clock()):
                return 0
            report = await _figures(conn, receiver.name, cfg.time_zone, slot, builder.url)
            # Each week's report a thread of its own: never an edit of last week's (Discord edits in place).
            key = f"noise-report:{receiver.name}:{utc_text(slot)}"
            payload = builder.payload(receiver.name, key, {}, [], REASON)
            payload = replace(payload, noise_report=report)
            flush_id = uuid.uuid4().hex[:12]
            rows = [
                row(payload, ch.name, self.clock(), flush_id, kind=KIND, salt=utc_text(slot), alert_ids=())
                for ch in channels_of(config, receiver.channels)
            ]
            await outbox.enqueue(conn, rows)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        await every(LOOK_EVERY, stop, self.run_once, self._failed)

    def _failed(self) -> None:
        self.log_failure()
        self.metrics.loop_errors.labels("noise_reports").inc()


async def _figures(conn: AsyncConnection, receiver: str, clock: str, slot: datetime, url: str) -> NoiseReport:
    """The week before `slot`: the overview's figures (store/stats.py) and the receiver's own messages."""
    since = slot - WEEK
    totals = await stats.episode_totals(conn, since)
    times = await noise_reports.message_times(conn, receiver, since, slot)
    return NoiseReport(
        since=utc_text(since),
        until=utc_text(slot),
        rules=tuple(await stats.noisiest_rules(conn, since, _TOP)),
        assets=tuple(await noise_reports.asset_firings(conn, since, slot, _TOP)),
        messages=len(times),
        out_of_hours=out_of_hours(times, clock),
        clock=clock,
        episodes=totals.episodes,
        mtta_seconds=totals.mtta_seconds,
        mttr_seconds=totals.mttr_seconds,
        flapping=tuple(_named(await noise_reports.flap_starts(conn, since, slot))),
        overview_url=f"{url}/overview" if url else None,
    )


def _named(starts: Sequence[tuple[str, dict[str, str]]]) -> list[str]:
    """ "rule — where" once each, in the order the spells began."""
    names = (f"{rule} — {where}" if (where := where_label(labels)) else rule for rule, labels in starts)
    return list(dict.fromkeys(names))
