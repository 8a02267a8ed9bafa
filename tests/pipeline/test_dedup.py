"""Dedup reasons, one case per Alertmanager reason (and ours), on plain members: no database needed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.severity import Severity
from alerthub.pipeline.batch import Member
from alerthub.pipeline.dedup import decide

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
REPEAT = timedelta(hours=4)


def member(i: int, state: str = "firing", told: str | None = None, told_ago: float = 600, **kw: object) -> Member:
    a = Alert(
        i,
        f"fp{i}",
        "r",
        "t",
        AlertState(state),
        Severity(str(kw.pop("severity", "high"))),
        1.0,
        1.0,
        {},
        {},
        1,
        1,
        NOW,
        NOW,
        NOW,
    )
    at = NOW - timedelta(seconds=told_ago) if told else None
    return Member(
        a,
        {},
        notified_state=told,
        notified_severity=str(kw.pop("told_severity", "high")) if told else None,
        notified_at=at,
        **kw,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("members", "send_resolved", "reason", "carried"),
    [
        # nothing told yet, one fires
        ([member(1)], True, "first notification", [1]),
        # told about 1; 2 is new
        ([member(1, told="firing"), member(2)], True, "new alerts added", [1, 2]),
        # told about 1 and 2; 2 resolved since
        ([member(1, told="firing"), member(2, "resolved", told="firing")], True, "some alerts resolved", [1, 2]),
        ([member(1, "resolved", told="firing")], True, "all alerts resolved", [1]),
        # a channel that takes no resolved messages hears nothing about it
        ([member(1, told="firing"), member(2, "resolved", told="firing")], False, None, [1]),
        # fired and resolved between two flushes: the receiver never knew
        ([member(1, "resolved")], True, None, []),
        # nothing new, repeat interval not elapsed
        ([member(1, told="firing")], True, None, [1]),
        # repeat interval elapsed
        ([member(1, told="firing", told_ago=REPEAT.total_seconds())], True, "repeat interval elapsed", [1]),
        # acknowledged alerts do not repeat
        ([member(1, "acknowledged", told="firing", told_ago=REPEAT.total_seconds())], True, None, [1]),
        # severity rose since it was told
        ([member(1, told="firing", severity="critical")], True, "severity changed", [1]),
        # a new alert inside its rule's cooldown (told 10 minutes ago, cooldown 1h) waits
        ([member(1, told="resolved", cooldown=timedelta(hours=1))], True, None, [1]),
        ([member(1, told="resolved", cooldown=timedelta(minutes=5))], True, "new alerts added", [1]),
    ],
)
def test_reasons(members: list[Member], send_resolved: bool, reason: str | None, carried: list[int]) -> None:
    verdict = decide(members, NOW, REPEAT, send_resolved=send_resolved)
    assert verdict.reason == reason
    assert [m.id for m in verdict.alerts] == carried


def test_new_alerts_outrank_resolutions() -> None:
    members = [member(1, "resolved", told="firing"), member(2)]
    assert decide(members, NOW, REPEAT, send_resolved=True).reason == "new alerts added"


def test_cooldown_counts_from_any_groups_notice() -> None:
    fresh = replace(member(1, cooldown=timedelta(hours=1)), last_notified_at=NOW - timedelta(minutes=30))
    assert decide([fresh], NOW, REPEAT, send_resolved=True).reason is None
