"""Writing a digest: the rows a channel's budget could not carry become one new notification, claimed by
the worker that merged them, in one transaction with the merged rows pointing at it and their history
saying so. The digest's shape is `digest.py`'s (pure); this is its write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alerthub.delivery import digest, outcome
from alerthub.delivery.sending import payload_of
from alerthub.domain.notification import Notification
from alerthub.store import deliveries
from alerthub.store.database import Database
from alerthub.store.outbox import DIGEST, PAGE


async def merge(
    db: Database,
    now: datetime,
    channel: str,
    rows: Sequence[Notification],
    worker: str,
    lease_until: datetime,
    *,
    pages: bool = False,
) -> Notification:
    """A digest of `rows`; with `pages`, one page of pages to the same people (`digest.pages_together`)."""
    payloads = [p for p in (payload_of(r) for r in rows) if p is not None]
    merged = digest.page_payload(payloads) if pages else digest.digest_payload(channel, payloads)
    kind, why = (PAGE, "one page for alerts escalating together") if pages else (DIGEST, "channel budget spent")
    values = digest.digest_row(channel, rows, merged, now=now, worker=worker, lease_until=lease_until, kind=kind)
    alert_ids = sorted({a for r in rows for a in r.alert_ids})
    async with db.write() as conn:
        digest_id = await deliveries.insert_row(conn, values, alert_ids)
        assert digest_id is not None
        await deliveries.merge_into(conn, digest_id, [r.id for r in rows if r.id is not None])
        note = f"merged into {kind} notification {digest_id} ({why})"
        await outcome.append_delivery_events(conn, *(outcome.Attempt(row, now, "merged", note) for row in rows))
        found = await deliveries.get(conn, digest_id)
    assert found is not None
    return found
