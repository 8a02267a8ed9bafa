"""Which claimed rows of a channel go out together: at most its width at once, and one row per
conversation per wave, so a follow-up never overtakes the message it follows."""

from __future__ import annotations

from collections.abc import Sequence

from alerthub.domain.notification import Notification

# Sends in flight at once per channel, by type (never more than its budget allows). Channels not named
# here send one at a time: their answers carry the service's remaining budget (Discord's and Slack's
# rate-limit headers, Telegram's and SMTP servers' throttling), which must be read before the next send.
# Eight, not more: httpx's pool costs CPU per request that grows with the requests in flight (0.7 ms
# alone, 1.0 ms at 8, 1.7 ms at 32 on loopback), and eight already hide a remote receiver's round trip.
IN_FLIGHT = {"webhook": 8}


def next_wave(rows: Sequence[Notification], width: int) -> tuple[list[Notification], list[Notification]]:
    """Up to `width` rows in order, at most one per conversation (thread, else group); the rest keep
    their order for the next wave."""
    wave: list[Notification] = []
    later: list[Notification] = []
    seen: set[str] = set()
    for row in rows:
        key = row.thread_key or row.group_key
        (wave if len(wave) < width and key not in seen else later).append(row)
        seen.add(key)
    return wave, later
