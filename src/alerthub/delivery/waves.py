"""Which claimed rows of a channel go out together: at most its width at once, and one row per
conversation per wave, so a follow-up never overtakes the message it follows."""

from __future__ import annotations

from collections.abc import Sequence, Set

from alerthub.domain.notification import Notification

# Sends in flight at once per channel, by type (never more than its budget allows). Channels not named
# here send one at a time: their answers carry the service's remaining budget (Discord's and Slack's
# rate-limit headers, Telegram's and SMTP servers' throttling), which must be read before the next send.
# 32: enough to hide a remote receiver's round trip at a few hundred notifications a second. (It was 8
# while httpx's own pool cost CPU per request that grew with the requests in flight; the delivery
# transport's cost does not: channels/transport.py.)
IN_FLIGHT = {"webhook": 32}


def next_wave(
    rows: Sequence[Notification], width: int, busy: Set[str] = frozenset()
) -> tuple[list[Notification], list[Notification]]:
    """Up to `width` rows in order, at most one per conversation (thread, else group) and none of a
    conversation in `busy` (a row of it is still in flight); the rest keep their order for later."""
    wave: list[Notification] = []
    later: list[Notification] = []
    seen: set[str] = set(busy)
    for row in rows:
        key = row.thread_key or row.group_key
        (wave if len(wave) < width and key not in seen else later).append(row)
        seen.add(key)
    return wave, later
