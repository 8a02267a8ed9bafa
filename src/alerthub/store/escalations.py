"""Escalations: durable timers, one row per alert episode and receiver. A step is taken by moving the
row's position with a compare-and-set in the transaction that writes the step's pages, so a crash loses
no step and two instances never take one step twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.escalation import Escalation, EscalationState
from alerthub.store.inserts import insert_new
from alerthub.store.tables import escalation

_LIVE = escalation.c.state != EscalationState.DONE.value


@dataclass(frozen=True, slots=True)
class EscalationStart:
    alert_id: int
    episode: int
    receiver: str
    policy: str


async def start(conn: AsyncConnection, starts: Sequence[EscalationStart], now: datetime) -> int:
    """Begin an escalation for each (alert episode, receiver) that has none, its first step due now; one
    that exists already (a repeat of the same alert) is left as it is. Returns how many began."""
    if not starts:
        return 0
    rows = [
        {
            "alert_id": s.alert_id,
            "episode": s.episode,
            "receiver": s.receiver,
            "policy": s.policy,
            "state": EscalationState.ACTIVE.value,
            "cycle_no": 0,
            "round_no": 0,
            "step_no": 0,
            "next_at": now,
            "started_at": now,
            "updated_at": now,
            "note": "started",
            "paged": ",",
        }
        for s in starts
    ]
    return await insert_new(conn, escalation, rows, ["alert_id", "episode", "receiver"])


async def due(conn: AsyncConnection, now: datetime, limit: int) -> list[Escalation]:
    query = (
        select(escalation)
        .where(_LIVE, escalation.c.next_at <= now)
        .order_by(escalation.c.next_at, escalation.c.id)
        .limit(limit)
    )
    return [_escalation(r) for r in (await conn.execute(query)).all()]


async def next_due(conn: AsyncConnection) -> datetime | None:
    found: datetime | None = await conn.scalar(select(func.min(escalation.c.next_at)).where(_LIVE))
    return found


async def get(conn: AsyncConnection, escalation_id: int) -> Escalation | None:
    row = (await conn.execute(select(escalation).where(escalation.c.id == escalation_id))).first()
    return _escalation(row) if row else None


async def of_alert(conn: AsyncConnection, alert_id: int) -> list[Escalation]:
    query = select(escalation).where(escalation.c.alert_id == alert_id).order_by(escalation.c.id)
    return [_escalation(r) for r in (await conn.execute(query)).all()]


async def live(conn: AsyncConnection, limit: int = 500) -> list[Escalation]:
    """The escalations still running (not done), most recent first."""
    query = select(escalation).where(_LIVE).order_by(escalation.c.id.desc()).limit(limit)
    return [_escalation(r) for r in (await conn.execute(query)).all()]


async def advance(conn: AsyncConnection, before: Escalation, after: Escalation) -> bool:
    """Move the escalation from `before`'s position to `after`'s; False when it is no longer at `before`'s
    (another instance took the step), and then nothing is changed."""
    state, cycle, round_, step = before.position
    result = await conn.execute(
        update(escalation)
        .where(
            escalation.c.id == before.id,
            escalation.c.state == state.value,
            escalation.c.cycle_no == cycle,
            escalation.c.round_no == round_,
            escalation.c.step_no == step,
        )
        .values(
            state=after.state.value,
            cycle_no=after.cycle,
            round_no=after.round,
            step_no=after.step,
            next_at=after.next_at,
            updated_at=after.updated_at,
            note=after.note,
        )
    )
    return result.rowcount == 1


async def note(conn: AsyncConnection, esc: Escalation, text: str, people: Sequence[str]) -> None:
    """What the step just taken did (who was paged, over what), for the pages that show where it stands;
    and the people it paged, added to those paged before."""
    paged = tuple(dict.fromkeys([*esc.paged, *people]))
    values = {"note": text, "paged": "," + "".join(f"{p}," for p in paged)}
    await conn.execute(update(escalation).where(escalation.c.id == esc.id).values(**values))


def paged_to(person: str) -> Any:
    """The alerts an escalation has paged `person` about (a condition on `alert.id`)."""
    return select(escalation.c.alert_id).where(escalation.c.paged.contains(f",{person},", autoescape=True))


async def wake(conn: AsyncConnection, alert_ids: Iterable[int], now: datetime) -> None:
    """Make the alerts' running escalations due now: an acknowledgement or a resolution stops them at
    once instead of at their next step."""
    ids = sorted(set(alert_ids))
    if ids:
        await conn.execute(
            update(escalation).where(escalation.c.alert_id.in_(ids), _LIVE).values(next_at=now, updated_at=now)
        )


def _escalation(row: Row[Any]) -> Escalation:
    m = row._mapping
    return Escalation(
        id=m["id"],
        alert_id=m["alert_id"],
        episode=m["episode"],
        receiver=m["receiver"],
        policy=m["policy"],
        state=EscalationState(m["state"]),
        cycle=m["cycle_no"],
        round=m["round_no"],
        step=m["step_no"],
        next_at=m["next_at"],
        started_at=m["started_at"],
        updated_at=m["updated_at"],
        note=m["note"],
        paged=tuple(p for p in m["paged"].split(",") if p),
    )
