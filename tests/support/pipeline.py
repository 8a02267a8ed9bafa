"""Helpers for pipeline tests: send signals through the real ingest path, flush, read the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from alerthub.channels.http import HttpClient
from alerthub.config.models import Config
from alerthub.domain.notification import NotificationPayload
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.hub import Hub
from alerthub.pipeline.dispatcher import Dispatcher
from alerthub.store.tables import alert_group, notification, notification_alert


@dataclass(frozen=True)
class Row:
    id: int
    channel: str
    status: str
    kind: str
    group_key: str
    thread_key: str
    idempotency_key: str
    payload: NotificationPayload
    alert_ids: tuple[int, ...]

    @property
    def reason(self) -> str:
        return self.payload.reason

    @property
    def rules(self) -> list[str]:
        return sorted(a.rule_name for a in self.payload.alerts)


async def fire(hub: Hub, rule: str, value: float | None = None, **labels: str) -> int:
    status = None if value is not None else SignalStatus.FIRING
    [result] = await hub.ingest.ingest([Signal(rule, "test", value=value, labels=labels, status=status)])
    assert result.alert_id is not None
    return result.alert_id


async def clear(hub: Hub, rule: str, **labels: str) -> None:
    await hub.ingest.ingest([Signal(rule, "test", labels=labels, status=SignalStatus.RESOLVED)])


async def outbox(hub: Hub, since: int = 0) -> list[Row]:
    async with hub.db.read() as conn:
        rows = (
            await conn.execute(select(notification).where(notification.c.id > since).order_by(notification.c.id))
        ).all()
        links = (await conn.execute(select(notification_alert))).all()
    by_id: dict[int, list[int]] = {}
    for link in links:
        by_id.setdefault(link.notification_id, []).append(link.alert_id)
    return [
        Row(
            r.id,
            r.channel,
            r.status,
            r.kind,
            r.group_key,
            r.thread_key,
            r.idempotency_key,
            NotificationPayload.from_json(r.payload),
            tuple(sorted(by_id.get(r.id, []))),
        )
        for r in rows
    ]


async def groups_table(hub: Hub) -> list[Any]:
    async with hub.db.read() as conn:
        return list((await conn.execute(select(alert_group).order_by(alert_group.c.group_key))).all())


def dispatcher(hub: Hub) -> Dispatcher:
    return hub.pipeline.dispatcher


async def trace(hub: Hub, alert_id: int) -> list[str]:
    detail = await hub.alerts.trace(alert_id)
    return [f"{e.actor}: {e.reason}" for e in detail.history if e.kind.value == "decision"]


def paging(config: Config, channel: str, person: str = "alice") -> Config:
    """`config` with alerts grouped by rule and each paged at once to `person` over `channel`."""
    return Config.model_validate(
        {
            **config.model_dump(mode="json", exclude_unset=True),
            "escalation_policies": [{"name": "page", "steps": [{"notify": [f"person:{person}"]}]}],
            "receivers": [{"name": "ops", "channels": [channel], "escalation": "page"}],
            "route": {"receiver": "ops", "group_by": ["alertname"], "group_wait": "0s"},
        }
    )


async def page_together(hub: Hub, http: HttpClient, count: int) -> list[int]:
    """`count` alerts of one rule fire at once, are flushed, escalate and are delivered (`paging`): one page
    lists them all. Their ids."""
    signals = [Signal("disk_full", "test", value=97.0, labels={"host": f"web-{i}"}) for i in range(count)]
    ids = [r.alert_id for r in await hub.ingest.ingest(signals)]
    await dispatcher(hub).run_once()
    await hub.escalator.run_once()
    await hub.delivery.tick(http)
    return ids
