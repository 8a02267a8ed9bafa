"""What Alertmanager's read API shows: the open alerts, the groups that hold them with what each group's
last flush muted them by, and which instances hold live leases (its cluster peers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, null, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert, AlertState
from alerthub.store.alerts import to_alert
from alerthub.store.tables import alert, alert_group, alert_group_member, lease, notification

OPEN_STATES = (AlertState.PENDING.value, AlertState.FIRING.value, AlertState.ACKNOWLEDGED.value)


@dataclass(frozen=True, slots=True)
class Membership:
    """One open alert in one group, and what that group's last flush held it back by (`time:<names>`,
    `silence:<id>`, `inhibit:<alert id>`), if anything."""

    group_key: str
    alert_id: int
    muted_by: str | None


async def open_alerts(conn: AsyncConnection) -> list[Alert]:
    """Every pending, firing or acknowledged alert in id order, without the sender's raw payload."""
    columns = [c for c in alert.c if c.name != "raw"]
    query = select(*columns, null().label("raw")).where(alert.c.state.in_(OPEN_STATES)).order_by(alert.c.id)
    return [to_alert(cast("Row[Any]", row)) for row in (await conn.execute(query)).all()]


async def open_memberships(conn: AsyncConnection, alert_ids: Sequence[int] | None = None) -> list[Membership]:
    """The groups of every open alert, or of those among `alert_ids`."""
    m = alert_group_member.c
    query = (
        select(m.group_key, m.alert_id, m.muted_by)
        .join(alert, alert.c.id == m.alert_id)
        .where(alert.c.state.in_(OPEN_STATES))
        .order_by(m.group_key, m.alert_id)
    )
    if alert_ids is not None:
        query = query.where(m.alert_id.in_(sorted(set(alert_ids))))
    return [Membership(r.group_key, r.alert_id, r.muted_by) for r in (await conn.execute(query)).all()]


@dataclass(frozen=True, slots=True)
class GroupInfo:
    group_key: str
    receiver: str
    route_path: str
    labels: dict[str, str]


async def group_info(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, GroupInfo]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    g = alert_group.c
    query = select(g.group_key, g.receiver, g.route_path, g.group_labels).where(g.group_key.in_(wanted))
    rows = (await conn.execute(query)).all()
    return {r.group_key: GroupInfo(r.group_key, r.receiver, r.route_path, dict(r.group_labels)) for r in rows}


async def live_lease_owners(conn: AsyncConnection, now: datetime) -> list[str]:
    """Who holds an unexpired lease anywhere (a poller, an alert group, an outbox row): the instances at
    work right now. Owners read `host:pid:random`, one per loop (see domain/instance.py)."""
    query = union(
        select(lease.c.owner.label("owner")).where(lease.c.expires_at > now),
        select(alert_group.c.lease_owner).where(alert_group.c.lease_until > now),
        select(notification.c.claimed_by).where(notification.c.status == "sending", notification.c.claimed_until > now),
    )
    return sorted({r.owner for r in (await conn.execute(query)).all() if r.owner})


async def open_alerts_labelled(conn: AsyncConnection, name: str, values: Sequence[str]) -> list[Alert]:
    """The open alerts whose label `name` is one of `values`, without their raw payloads."""
    if not values:
        return []
    columns = [c for c in alert.c if c.name != "raw"]
    query = (
        select(*columns, null().label("raw"))
        .where(alert.c.state.in_(OPEN_STATES), alert.c.labels[name].as_string().in_(list(values)))
        .order_by(alert.c.id)
    )
    return [to_alert(cast("Row[Any]", row)) for row in (await conn.execute(query)).all()]
