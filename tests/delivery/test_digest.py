from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.delivery.digest import digest_payload, is_follow_up, page_payload, split
from alerthub.delivery.digest import pages_together as split_pages
from alerthub.delivery.sending import payload_of
from alerthub.domain.notification import (
    AlertSnapshot,
    NoiseReport,
    Notification,
    NotificationPayload,
    NotificationStatus,
)
from alerthub.hub import Hub
from support.clock import FakeClock
from support.delivery_config import channels_config
from support.outbox_rows import add_alert, enqueue, payload, rows
from support.standins import DiscordStandIn, SMTPStandIn

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def snap(alert_id: int, severity: str = "warning", state: str = "firing") -> AlertSnapshot:
    return AlertSnapshot(alert_id, f"f{alert_id}", "r", state, severity, 1.0, {"service": "s"}, {}, "api", "", "", 1)


def note(
    row_id: int,
    *alerts: AlertSnapshot,
    status: str = "firing",
    reason: str = "first notification",
    thread: str | None = "discord:g",
) -> Notification:
    payload = NotificationPayload("ops", "g", status, reason, {}, {"service": "s", "env": f"e{row_id}"}, {}, alerts)
    return Notification(
        row_id,
        f"k{row_id}",
        "g",
        "ops",
        "discord",
        status,
        NotificationStatus.SENDING,
        payload.to_json(),
        1,
        NOW,
        NOW,
        thread_key=thread,
    )


def test_within_budget_everything_goes_alone() -> None:
    rows = [note(i, snap(i)) for i in range(3)]
    assert split(rows, 3, is_follow_up) == (rows, [], [])


def test_over_budget_the_rest_is_merged_but_edits_wait() -> None:
    resolved = note(9, snap(9, state="resolved"), status="resolved", reason="all alerts resolved")
    rows = [note(i, snap(i)) for i in range(5)] + [resolved]
    singles, merged, held = split(rows, 3, is_follow_up)
    assert singles == rows[:2] and merged == rows[2:5] and held == [resolved]


def test_two_rows_over_budget_make_a_digest_of_two() -> None:
    rows = [note(i, snap(i)) for i in range(3)]
    assert split(rows, 2, is_follow_up) == ([rows[0]], rows[1:], [])


def test_a_single_leftover_is_sent_alone_not_as_a_digest() -> None:
    edit = note(9, snap(9, state="acknowledged"), status="acknowledged", reason="acknowledged")
    rows = [note(1, snap(1)), note(2, snap(2)), edit]
    assert split(rows, 2, is_follow_up) == (rows[:2], [], [edit])


def test_without_a_thread_a_resolution_can_be_merged() -> None:
    plain = note(1, snap(1), status="resolved", reason="all alerts resolved", thread=None)
    assert not is_follow_up(plain)


def test_digest_keeps_the_latest_snapshot_and_puts_the_worst_first() -> None:
    first = NotificationPayload.from_json(note(1, snap(1), snap(2, "critical")).payload)
    later = NotificationPayload.from_json(note(2, snap(1, state="resolved"), snap(3, "high")).payload)
    merged = digest_payload("discord", [first, later])
    assert [(a.id, a.state) for a in merged.alerts] == [(2, "firing"), (3, "firing"), (1, "resolved")]
    assert merged.reason == "digest" and merged.status == "firing"
    assert merged.common_labels == {"service": "s"}


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    return channels_config(discord, smtp)


WEEK = NoiseReport("2026-11-23", "2026-11-30", (("disk_full", 41, 3),), (), 57, 12, "UTC", 9, 240.0, 3600.0, ())


@pytest.mark.parametrize("notice", ["noise report", "silence ending"])
async def test_a_notice_a_digest_would_lose_waits_for_budget_instead(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, http: httpx.AsyncClient, notice: str
) -> None:
    """A digest keeps alerts only: a noise report's figures or a silence's heads-up merged into one would
    be marked sent and never read. Over budget, the notice waits and goes out whole."""
    for i in range(6):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock(), labels={"host": f"h{i}"})))
    if notice == "noise report":
        body, kind, says = replace(payload(), reason="noise report", noise_report=WEEK), "noise_report", "disk_full"
    else:
        muted = await add_alert(hub.db, clock(), labels={"host": "db-1"})
        note = "Silence s-1 (maintenance), ending 2026-11-27 10:00 UTC"
        body, kind, says = replace(payload(muted), mute_note=note), "silence_expiring", "maintenance"
    await enqueue(hub.db, clock(), "discord", body, kind=kind)
    await hub.delivery.tick(http)  # Discord's 5 per 2 s: four alone, a digest of two, the notice waits
    assert len(discord.posted()) == 5 and not any(says in str(m) for m in discord.posted())
    clock.advance(2)
    await hub.delivery.tick(http)
    assert says in str(discord.posted()[-1])
    [told] = [r for r in await rows(hub.db) if r.kind == kind]
    assert told.status is NotificationStatus.SENT and "merged_into" not in told.extra


def page(row_id: int, *people: str, receiver: str = "ops") -> Notification:
    """An escalation step's page of one alert to `people` (none: the channel's own ping)."""
    body = NotificationPayload(receiver, "g", "firing", "escalation", {}, {}, {}, (snap(row_id),), paged=people)
    body = replace(body, page_note="step 1 of 2: first page")
    return replace(note(row_id, snap(row_id)), kind="page", receiver=receiver, payload=body.to_json(), thread_key=None)


def test_pages_to_the_same_people_go_as_one_and_others_stay_their_own() -> None:
    alice = [page(i, "alice") for i in range(3)]
    bob, elsewhere, nobody = page(5, "bob"), page(6, "alice", receiver="db"), [page(7), page(8)]
    together = split_pages([*alice, bob, elsewhere, *nobody, note(9, snap(9))])
    assert together == [alice, nobody]  # bob alone, the other receiver's page alone, the group message apart
    merged = page_payload([payload_of(r) for r in alice])
    assert merged.paged == ("alice",) and merged.page_note == "step 1 of 2: first page"
    assert [a.id for a in merged.alerts] == [0, 1, 2] and merged.reason == "escalation"
    # Pages merged already, waiting for budget beside new ones, are not merged again.
    waiting = replace(page(10, "alice"), group_key=merged.group_key, payload=merged.to_json())
    assert split_pages([waiting, page(11, "alice")]) == []
