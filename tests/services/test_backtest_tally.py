"""`services/backtest_tally.py`: what one replay wrote, counted per receiver and channel, as numbers."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from alerthub.config.models import Config
from alerthub.services.backtest_tally import ChannelCount, tally
from alerthub.store.outbox import PAGE
from alerthub.store.outbox_tally import Written

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
UTC_SERVER = Config.model_validate({"server": {"time_zone": "UTC"}})


def row(channel: str, kind: str, at: datetime, *, muted: bool = False) -> Written:
    return Written("ops", channel, kind, at, muted, ("disk",), ())


def test_a_channel_with_a_single_message_counts_it_as_numbers() -> None:
    # A first update of an empty Counter keeps what it is given: booleans would print as True and False.
    outcome = tally([row("mail", "group", NOON)], UTC_SERVER, {})
    assert outcome.channels == (ChannelCount("ops", "mail", messages=1, night=0, pages=0, night_pages=0),)
    counts = asdict(outcome.channels[0])
    assert all(type(counts[k]) is int for k in ("messages", "night", "pages", "night_pages", "muted")), counts
    assert '"night": 0' in json.dumps(counts) and '"messages": 1' in json.dumps(counts)


def test_pages_at_night_add_up_per_channel_and_muted_rows_apart() -> None:
    rows = [row("pager", PAGE, MIDNIGHT), row("pager", PAGE, NOON), row("pager", "group", MIDNIGHT),
            row("pager", "group", NOON, muted=True)]  # fmt: skip
    outcome = tally(rows, UTC_SERVER, {"old-rule": 2})
    assert outcome.channels == (ChannelCount("ops", "pager", messages=3, night=2, pages=2, night_pages=1, muted=1),)
    assert outcome.rules == {"disk": 3} and outcome.unknown == {"old-rule": 2}
