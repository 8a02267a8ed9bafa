"""The delivery log: what was sent, what failed and why, and a second chance for a failed row."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from alerthub.domain.clock import Clock
from alerthub.domain.notification import Notification, NotificationStatus
from alerthub.errors import ConflictError, InputError, NotFoundError, Problem
from alerthub.store import deliveries, delivery_log
from alerthub.store.database import Database

MAX_ID = 2**63 - 1  # row ids are 64-bit signed in both databases


def encode_cursor(rank: int, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{rank}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """Only a cursor `encode_cursor` could have made: a rank of 0 or 1 (failed rows first, or not) and a
    64-bit id, spelled as it spells them; a larger number would overflow the query's parameter (a 500)."""
    try:
        rank_text, id_text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":")
        rank, row_id = int(rank_text), int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None
    if rank not in (0, 1) or not 0 <= row_id <= MAX_ID or encode_cursor(rank, row_id) != cursor.rstrip("="):
        raise _bad_cursor()
    return rank, row_id


def _bad_cursor() -> InputError:
    return InputError("cursor is not one this API gave out", [Problem("query.cursor", "invalid cursor")])


class NotificationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def list(
        self,
        *,
        statuses: Sequence[NotificationStatus] = (),
        channels: Sequence[str] = (),
        failures_first: bool = False,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[Notification], str | None]:
        after = decode_cursor(cursor) if cursor else None
        async with self.db.read() as conn:
            rows = await delivery_log.log(
                conn,
                statuses=[s.value for s in statuses],
                channels=list(channels),
                failures_first=failures_first,
                limit=limit + 1,
                after=after,
            )
        page = rows[:limit]
        more = len(rows) > limit and page
        next_cursor = encode_cursor(int(page[-1].extra["rank"]), page[-1].id or 0) if more else None
        return page, next_cursor

    async def get(self, row_id: int) -> Notification:
        async with self.db.read() as conn:
            found = await deliveries.get(conn, row_id)
        if found is None:
            raise NotFoundError(f"no notification with id {row_id}")
        return found

    async def retry(self, row_id: int) -> Notification:
        """A failed notification goes back to the outbox, due now, with a fresh attempt budget."""
        async with self.db.write() as conn:
            found = await deliveries.get(conn, row_id)
            if found is None:
                raise NotFoundError(f"no notification with id {row_id}")
            if not await delivery_log.retry_failed(conn, row_id, self.clock()):
                raise ConflictError(f"notification {row_id} is {found.status.value}; only a failed one can be retried")
            again = await deliveries.get(conn, row_id)
        assert again is not None
        return again
