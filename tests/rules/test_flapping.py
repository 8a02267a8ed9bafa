"""Counting firing/resolved changes: only those inside the window count, the one past `changes` starts a
spell (once), and a spell ends only after the state has held for `settle`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerthub.domain.alert import Alert, AlertChange, AlertState, EventKind
from alerthub.domain.flapping import FlapPolicy
from alerthub.domain.severity import Severity
from alerthub.rules.flapping import settle, track

T0 = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
POLICY = FlapPolicy(window=timedelta(minutes=10), changes=2, settle=timedelta(minutes=5))


def alert(state: AlertState) -> Alert:
    return Alert(7, "fp", "disk_full", "api", state, Severity.CRITICAL, 97.0, 97.0, {}, {}, 1, 1, T0, T0, T0)


def flip(a: Alert, at: datetime) -> Alert:
    to = AlertState.RESOLVED if a.state is AlertState.FIRING else AlertState.FIRING
    return track(AlertChange(a, replace(a, state=to, state_changed_at=at), ()), POLICY, at, "signal:test").after


def test_only_changes_inside_the_window_count() -> None:
    a = alert(AlertState.FIRING)
    for minutes in (0, 6, 12, 18):  # never more than two within any ten minutes
        a = flip(a, T0 + timedelta(minutes=minutes))
    assert not a.flap.flapping and len(a.flap.changes) == 2


def test_the_change_past_the_limit_starts_one_spell() -> None:
    a = alert(AlertState.FIRING)
    a = flip(a, T0)
    a = flip(a, T0 + timedelta(minutes=1))
    change = track(
        AlertChange(a, replace(a, state=AlertState.RESOLVED), ()), POLICY, T0 + timedelta(minutes=2), "signal:test"
    )
    [event] = change.events
    assert event.kind is EventKind.FLAPPING and event.reason.startswith("flapping: 3 changes in 10m (")
    assert change.after.flap.since == T0 + timedelta(minutes=2)
    again = track(AlertChange(change.after, replace(change.after, state=AlertState.FIRING), ()), POLICY, T0, "x")
    assert again.events == () and again.after.flap.since == change.after.flap.since  # one spell, one event


def test_a_spell_ends_after_settle_and_not_before() -> None:
    a = replace(alert(AlertState.FIRING), flap=replace(alert(AlertState.FIRING).flap, since=T0))
    assert settle(a, POLICY, T0 + timedelta(minutes=4, seconds=59)) is None
    ended = settle(a, POLICY, T0 + timedelta(minutes=5))
    assert ended is not None and not ended.after.flap.flapping
    assert ended.after.flap.settled_at == T0 + timedelta(minutes=5)
    assert ended.events[0].reason == "flapping ended: firing for 5m"


def test_a_change_that_is_no_flip_counts_nothing() -> None:
    a = alert(AlertState.FIRING)
    same = track(AlertChange(a, replace(a, value=99.0), ()), POLICY, T0, "signal:test")
    assert same.after.flap.changes == ()
