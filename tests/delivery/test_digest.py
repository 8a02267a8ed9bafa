from __future__ import annotations

from datetime import UTC, datetime

from alerthub.delivery.digest import digest_payload, is_follow_up, split
from alerthub.domain.notification import AlertSnapshot, Notification, NotificationPayload, NotificationStatus

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
