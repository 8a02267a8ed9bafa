"""Per-channel health: last success and failure, since when it has been failing (for fallback),
and until when the service asked us to pause (a 429 seen by any instance pauses all of them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.tables import channel_state


@dataclass(frozen=True, slots=True)
class ChannelState:
    channel: str
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    paused_until: datetime | None = None


_ALL = select(channel_state)  # read on every delivery claim: built once


async def all_states(conn: AsyncConnection) -> dict[str, ChannelState]:
    rows = (await conn.execute(_ALL)).all()
    return {row.channel: ChannelState(**row._mapping) for row in rows}


async def get(conn: AsyncConnection, channel: str) -> ChannelState:
    row = (await conn.execute(select(channel_state).where(channel_state.c.channel == channel))).first()
    return ChannelState(**row._mapping) if row else ChannelState(channel)


async def record_success(conn: AsyncConnection, channel: str, now: datetime) -> None:
    await _ensure(conn, channel)
    await conn.execute(
        update(channel_state).where(channel_state.c.channel == channel).values(last_success_at=now, failing_since=None)
    )


async def record_failure(
    conn: AsyncConnection, channel: str, now: datetime, error: str, paused_until: datetime | None = None
) -> ChannelState:
    """Returns the state after the failure; `failing_since` is kept from the first failure of a run."""
    before = await get(conn, channel)
    await _ensure(conn, channel)
    values: dict[str, Any] = {
        "last_failure_at": now,
        "last_error": error[:2000],
        "failing_since": before.failing_since or now,
    }
    if paused_until is not None:
        values["paused_until"] = max(paused_until, before.paused_until or paused_until)
    await conn.execute(update(channel_state).where(channel_state.c.channel == channel).values(**values))
    return await get(conn, channel)


async def record_outcomes(
    conn: AsyncConnection, channel: str, outcomes: Sequence[tuple[datetime, str | None, datetime | None]]
) -> list[ChannelState]:
    """A batch of attempts' results, (at, error or None for a success, paused until), folded in the
    order they happened and written in one statement; returns the state after each of them, so a
    fallback is judged as if they had been recorded one by one."""
    state = await get(conn, channel) if any(error is not None for _, error, _ in outcomes) else ChannelState(channel)
    values: dict[str, Any] = {}
    after = []
    for now, error, paused in outcomes:
        if error is None:
            changes: dict[str, Any] = {"last_success_at": now, "failing_since": None}
        else:
            changes = {"last_failure_at": now, "last_error": error[:2000], "failing_since": state.failing_since or now}
            if paused is not None:
                changes["paused_until"] = max(paused, state.paused_until or paused)
        state = replace(state, **changes)
        values.update(changes)
        after.append(state)
    if values and _error_free(outcomes):
        await conn.execute(_SUCCESS[conn.dialect.name], {"of_channel": channel, "at": values["last_success_at"]})
    elif values:
        dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(channel_state).values(channel=channel, **values)
        await conn.execute(statement.on_conflict_do_update(index_elements=[channel_state.c.channel], set_=values))
    return after


def _error_free(outcomes: Sequence[tuple[datetime, str | None, datetime | None]]) -> bool:
    return all(error is None for _, error, _ in outcomes)


def _success_upsert(dialect: Any) -> Any:
    """The common batch (every send succeeded), built once: building it cost more than running it."""
    at = bindparam("at", type_=channel_state.c.last_success_at.type)
    changes = {"last_success_at": at, "failing_since": None}
    statement = dialect.insert(channel_state).values(
        channel=bindparam("of_channel", type_=channel_state.c.channel.type)
    )
    return statement.values(**changes).on_conflict_do_update(index_elements=[channel_state.c.channel], set_=changes)


_SUCCESS = {"postgresql": _success_upsert(postgresql), "sqlite": _success_upsert(sqlite)}


async def _ensure(conn: AsyncConnection, channel: str) -> None:
    statement: Any
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(channel_state).values(channel=channel).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(channel_state).values(channel=channel).on_conflict_do_nothing()
    await conn.execute(statement)
