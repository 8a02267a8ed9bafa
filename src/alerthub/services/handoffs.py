"""Handoff messages, driven: for each schedule with `handoff_message`, every person who comes on call
(oncall/handoffs.py, on the timeline /api/oncall reads, overrides included) gets one message, `ahead` of
their shift: "You are on call for primary from … to …", on their own clock, and who is next.

The message is addressed like a page: the person is named in `paged`, and each channel reaches them its
own way when it is sent (a mention that pings only them, a mail or Telegram message to them, their own
Apprise URLs). One write transaction marks the (schedule, shift start, person) sent and queues the
message, so it goes out once however many instances run or restart; through the outbox, so retries,
pacing and the delivery log apply, each shift its own thread, never merged into a digest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from alerthub.channels.registry import CHANNEL_TYPES
from alerthub.config.models import Config
from alerthub.config.oncall import HandoffMessageConfig
from alerthub.domain.clock import Clock, utc_text, utc_text_or_none
from alerthub.domain.notification import HandoffNote, NotificationPayload
from alerthub.errors import Problem
from alerthub.loops import every
from alerthub.oncall.handoffs import Handoff, due
from alerthub.oncall.roster import Roster
from alerthub.oncall.schedule import HORIZON
from alerthub.pipeline.enqueue import base_url, row
from alerthub.store import handoffs, outbox, overrides
from alerthub.store.database import Database
from alerthub.store.handoffs import HANDOFF
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

REASON = "handoff"
LOOK_EVERY = 30.0  # how late, at most, a shift's start is noticed
# Shifts that started longer ago are never looked at again (oncall/handoffs.py): their marks can go.
FORGET = HORIZON + timedelta(days=1)

_Key = tuple[str, datetime, str]  # (schedule, shift start, person)


class Handoffs:
    """`running`: the running configuration and roster, looked up at each pass (reloads replace them)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        running: Callable[[], tuple[Config, Roster]],
        wake_delivery: asyncio.Event,
    ) -> None:
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.running = running
        self.wake_delivery = wake_delivery
        self.log_failure = LoopFailureLog(logger, "handoff pass failed")
        # Shifts still running known to be told (by any instance), or to reach nobody: no write each pass.
        self._known: set[_Key] = set()

    async def run_once(self) -> int:
        """Queue every handoff message due now; returns how many messages were queued."""
        config, roster = self.running()
        wanted = [s for s in config.schedules if s.handoff_message is not None and s.name in roster.schedules]
        if not wanted:
            return 0
        now = self.clock()
        async with self.db.read() as conn:
            current = await overrides.not_ended(conn, now - HORIZON)
        queued, seen = 0, set()
        for cfg in wanted:
            assert cfg.handoff_message is not None
            for handoff in due(roster.schedules[cfg.name], now, cfg.handoff_message.ahead, current):
                key = (handoff.schedule, handoff.start, handoff.person)
                seen.add(key)
                if key not in self._known:
                    queued += await self._send(config, roster, cfg.handoff_message, handoff)
                    self._known.add(key)
        self._known &= seen  # a shift over is never due again
        if queued:
            self.wake_delivery.set()
        return queued

    async def _send(self, config: Config, roster: Roster, cfg: HandoffMessageConfig, handoff: Handoff) -> int:
        channels = reaching(config, roster, handoff.person, cfg.via)
        where = {"schedule": handoff.schedule, "person": handoff.person, "shift_start": utc_text(handoff.start)}
        if not channels:
            logger.warning("handoff message reaches nobody: no contact on its channels", extra=where)
            return 0
        now = self.clock()
        async with self.db.write() as conn:
            if not await handoffs.first_handoff(conn, handoff.schedule, handoff.start, handoff.person, now):
                return 0  # another instance, or this one before a restart, sent it
            payload = handoff_payload(handoff, roster, base_url(config))
            # A fixed flush id: the key is the same for the same shift, person and channel, a second guard.
            rows = [row(payload, ch, now, REASON, kind=HANDOFF, alert_ids=()) for ch in channels]
            await outbox.enqueue(conn, rows)
            await handoffs.forget_before(conn, now - FORGET)
        logger.info("handoff message queued", extra={**where, "channels": ",".join(channels)})
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        await every(LOOK_EVERY, stop, self.run_once, self._failed)

    def _failed(self) -> None:
        self.log_failure()
        self.metrics.loop_errors.labels("handoffs").inc()


def reaching(config: Config, roster: Roster, person: str, via: Sequence[str] | None) -> list[str]:
    """The channels a person's handoff message goes over: of `via` (default every channel), those of a
    type that reaches a person by name and for which the person has a contact."""
    types = {c.name: c.type for c in config.channels}
    names = list(types) if via is None else list(dict.fromkeys(via))
    return [n for n in names if n in types and _by_name(types[n]) and roster.address(person, types[n])]


def _by_name(kind: str) -> bool:
    found = CHANNEL_TYPES.get(kind)
    return found is not None and found.pages_by != "none"


def handoff_payload(handoff: Handoff, roster: Roster, url: str) -> NotificationPayload:
    """The message to the person, on their clock (their `time_zone`, else the schedule's); its own
    conversation per shift, so that Discord never edits the last shift's message into this one."""
    person = roster.people.get(handoff.person)
    clock = (person.time_zone if person else None) or roster.schedules[handoff.schedule].time_zone
    start = utc_text(handoff.start)
    note = HandoffNote(
        schedule=handoff.schedule,
        person=handoff.person,
        since=start,
        until=utc_text_or_none(handoff.end),
        clock=clock,
        next=handoff.next,
        next_since=utc_text_or_none(handoff.next_at),
    )
    return NotificationPayload(
        receiver=f"schedule:{handoff.schedule}",
        group_key=f"handoff:{handoff.schedule}:{start}:{handoff.person}",
        status="info",  # nothing fires: no severity, not a resolution (which channels may leave unsent)
        reason=REASON,
        group_labels={},
        common_labels={},
        common_annotations={},
        alerts=(),
        external_url=url,
        paged=(handoff.person,),
        handoff=note,
    )


def handoff_problems(config: Config) -> list[Problem]:
    """What check-config says of `handoff_message.via` beyond unknown names (config/checks.py): a channel
    that cannot reach a person by name (a webhook, PagerDuty) would tell nobody, or open an incident."""
    types = {c.name: c.type for c in config.channels}
    kinds = [kind for kind in CHANNEL_TYPES if _by_name(kind)]
    usable = ", ".join(kinds[:-1]) + f" or {kinds[-1]}"
    problems: list[Problem] = []
    for i, schedule in enumerate(config.schedules):
        via = schedule.handoff_message.via if schedule.handoff_message else None
        for k, name in enumerate(via or []):
            kind = types.get(name)
            if kind in CHANNEL_TYPES and not _by_name(kind):
                why = f"channel {name!r} ({kind}) cannot reach a person by name; use a {usable} channel"
                problems.append(Problem(f"schedules[{i}].handoff_message.via[{k}]", why))
    return problems
