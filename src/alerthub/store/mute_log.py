"""The mute log: which alerts each silence or time interval held back from a receiver, until the mute
ends. A summary takes its rows by deleting them, so two instances never send one summary twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import AlertState
from alerthub.store.inserts import insert_new
from alerthub.store.tables import alert, alert_group, alert_group_member, mute_log, silence_warning


@dataclass(frozen=True, slots=True)
class MutedEntry:
    """An alert episode a mute (`cause`: `silence:<id>` or `time:<names>`) held back in one group."""

    receiver: str
    route_path: str
    group_key: str
    cause: str
    alert_id: int
    episode: int
    muted_at: datetime


@dataclass(frozen=True, slots=True)
class MutedMember:
    """A firing alert a group's last flush found muted by `cause`."""

    receiver: str
    route_path: str
    group_key: str
    cause: str
    alert_id: int


@dataclass(frozen=True, slots=True)
class LoggedMute:
    id: int
    entry: MutedEntry


async def record(conn: AsyncConnection, entries: Sequence[MutedEntry]) -> None:
    """Notes each entry once: the same alert episode held back again by the same mute is already here."""
    if not entries:
        return
    rows = [
        {
            "receiver": e.receiver,
            "route_path": e.route_path,
            "group_key": e.group_key,
            "cause": e.cause,
            "alert_id": e.alert_id,
            "episode": e.episode,
            "muted_at": e.muted_at,
        }
        for e in entries
    ]
    await insert_new(conn, mute_log, rows, ["group_key", "cause", "alert_id", "episode"])


async def logged(conn: AsyncConnection) -> list[LoggedMute]:
    """Every entry whose mute has not been summarised yet, oldest first."""
    rows = (await conn.execute(select(mute_log).order_by(mute_log.c.id))).all()
    return [
        LoggedMute(r.id, MutedEntry(r.receiver, r.route_path, r.group_key, r.cause, r.alert_id, r.episode, r.muted_at))
        for r in rows
    ]


async def take(conn: AsyncConnection, ids: Iterable[int]) -> set[int]:
    """Deletes these entries; returns those this transaction deleted (another instance may have taken
    the rest first)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    result = await conn.execute(delete(mute_log).where(mute_log.c.id.in_(wanted)).returning(mute_log.c.id))
    return {row.id for row in result.all()}


async def muted_members(conn: AsyncConnection, causes: Iterable[str]) -> list[MutedMember]:
    """The firing (or acknowledged) alerts each of these mutes holds back, with their groups."""
    wanted = sorted(set(causes))
    if not wanted:
        return []
    query = (
        select(
            alert_group.c.receiver,
            alert_group.c.route_path,
            alert_group_member.c.group_key,
            alert_group_member.c.muted_by,
            alert_group_member.c.alert_id,
        )
        .join(alert_group, alert_group.c.group_key == alert_group_member.c.group_key)
        .join(alert, alert.c.id == alert_group_member.c.alert_id)
        .where(alert_group_member.c.muted_by.in_(wanted))
        .where(alert.c.state.in_([AlertState.FIRING.value, AlertState.ACKNOWLEDGED.value]))
        .order_by(alert_group_member.c.group_key, alert_group_member.c.alert_id)
    )
    return [MutedMember(*r) for r in (await conn.execute(query)).all()]


async def first_warning(
    conn: AsyncConnection, silence_id: str, ends_at: datetime, route_path: str, now: datetime
) -> bool:
    """Notes that this silence's end was warned about on this route; False when it was already."""
    values = {"silence_id": silence_id, "ends_at": ends_at, "route_path": route_path, "warned_at": now}
    return await insert_new(conn, silence_warning, values, ["silence_id", "ends_at", "route_path"]) == 1
