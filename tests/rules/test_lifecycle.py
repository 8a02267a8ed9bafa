"""The alert life cycle as a table of (rule, signals over time) -> states, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerthub.domain.alert import Alert, AlertState, EventKind
from alerthub.domain.labels import fingerprint
from alerthub.domain.rule import Comparison, Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.rules.lifecycle import acknowledge, apply_signal, resolve
from alerthub.rules.verdict import judge

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ERRORS = Rule("errors", comparison=Comparison.GT, thresholds={Severity.HIGH: 10, Severity.CRITICAL: 50})
UPTIME = Rule("uptime", comparison=Comparison.LT, thresholds={Severity.HIGH: 99})


def run(rule: Rule, steps: list[tuple[float, float | None, SignalStatus | None]]) -> list[Alert | None]:
    """Feed (seconds after T0, value, status) signals through the life cycle; return the alert after each."""
    alert: Alert | None = None
    seen: list[Alert | None] = []
    fp = fingerprint(rule.name, {})
    for offset, value, status in steps:
        sig = Signal(rule_name=rule.name, source="test", value=value, status=status)
        change = apply_signal(alert, sig, rule, judge(sig, rule), fp, T0 + timedelta(seconds=offset))
        if change is not None:
            alert = change.after
        seen.append(alert)
    return seen


def states(alerts: list[Alert | None]) -> list[str | None]:
    return [a.state.value if a else None for a in alerts]


def test_fire_then_clear_resolves() -> None:
    assert states(run(ERRORS, [(0, 20, None), (60, 5, None)])) == ["firing", "resolved"]


def test_clear_value_with_no_alert_opens_nothing() -> None:
    assert states(run(ERRORS, [(0, 5, None)])) == [None]


def test_for_holds_in_pending_until_elapsed() -> None:
    rule = Rule("cpu", thresholds={Severity.HIGH: 80}, for_=timedelta(minutes=2))
    timeline = run(rule, [(0, 90, None), (60, 95, None), (120, 91, None)])
    assert states(timeline) == ["pending", "pending", "firing"]
    assert timeline[-1] is not None and timeline[-1].count == 3


def test_pending_that_clears_never_fires() -> None:
    rule = Rule("cpu", thresholds={Severity.HIGH: 80}, for_=timedelta(minutes=2))
    assert states(run(rule, [(0, 90, None), (30, 10, None)])) == ["pending", "resolved"]


def test_keep_firing_for_absorbs_a_flap() -> None:
    rule = Rule("flappy", thresholds={Severity.HIGH: 10}, keep_firing_for=timedelta(minutes=5))
    timeline = run(rule, [(0, 20, None), (60, 1, None), (120, 30, None), (180, 1, None), (480, 1, None)])
    # Clear at 60 s is held; the value returns at 120 s; cleared again at 180 s, held 5 minutes until 480 s.
    assert states(timeline) == ["firing", "firing", "firing", "firing", "resolved"]
    assert timeline[1] is not None and timeline[1].clear_since == T0 + timedelta(seconds=60)
    assert timeline[2] is not None and timeline[2].clear_since is None


def test_explicit_resolve_ignores_keep_firing_for() -> None:
    rule = Rule("r", thresholds={Severity.HIGH: 10}, keep_firing_for=timedelta(hours=1))
    assert states(run(rule, [(0, 20, None), (1, None, SignalStatus.RESOLVED)])) == ["firing", "resolved"]


def test_reopen_starts_a_new_episode_with_fresh_counters() -> None:
    timeline = run(ERRORS, [(0, 20, None), (10, 30, None), (20, 1, None), (30, 60, None)])
    last = timeline[-1]
    assert last is not None
    assert (last.state, last.episode, last.count, last.peak_value) == (AlertState.FIRING, 2, 1, 60)
    assert last.first_seen == T0 + timedelta(seconds=30)


def test_severity_rises_and_falls_with_events() -> None:
    alert: Alert | None = None
    kinds: list[tuple[Severity | None, Severity | None]] = []
    for offset, value in ((0, 20), (10, 70), (20, 15)):
        sig = Signal(rule_name="errors", source="t", value=value)
        change = apply_signal(alert, sig, ERRORS, judge(sig, ERRORS), "fp", T0 + timedelta(seconds=offset))
        assert change is not None
        alert = change.after
        kinds += [(e.from_severity, e.to_severity) for e in change.events if e.kind is EventKind.SEVERITY]
    assert kinds == [(Severity.HIGH, Severity.CRITICAL), (Severity.CRITICAL, Severity.HIGH)]
    assert alert is not None and alert.peak_value == 70


def test_peak_is_the_worst_value_for_a_below_threshold_rule() -> None:
    timeline = run(UPTIME, [(0, 98, None), (10, 95.5, None), (20, 97, None)])
    assert timeline[-1] is not None and timeline[-1].peak_value == 95.5


def test_acknowledge_only_from_firing_and_records_who() -> None:
    [alert] = run(ERRORS, [(0, 20, None)])
    assert alert is not None
    change = acknowledge(alert, "user:alice", "on it", T0)
    assert change is not None and change.after.state is AlertState.ACKNOWLEDGED
    assert change.after.acknowledged_by == "alice"
    assert acknowledge(change.after, "user:bob", "", T0) is None


def test_acknowledged_alert_stays_acknowledged_on_new_signal_and_resolves_on_clear() -> None:
    [alert] = run(ERRORS, [(0, 20, None)])
    assert alert is not None
    acked = acknowledge(alert, "user:alice", "", T0)
    assert acked is not None
    sig = Signal(rule_name="errors", source="t", value=25)
    again = apply_signal(acked.after, sig, ERRORS, judge(sig, ERRORS), alert.fingerprint, T0)
    assert again is not None and again.after.state is AlertState.ACKNOWLEDGED
    clear = Signal(rule_name="errors", source="t", value=1)
    done = apply_signal(again.after, clear, ERRORS, judge(clear, ERRORS), alert.fingerprint, T0)
    assert done is not None and done.after.state is AlertState.RESOLVED


def test_every_transition_is_recorded_with_actor_and_reason() -> None:
    [alert] = run(ERRORS, [(0, 20, None)])
    assert alert is not None
    change = resolve(alert, "user:bob", "fixed the deploy", T0)
    [event] = change.events
    assert (event.from_state, event.to_state, event.actor, event.reason) == (
        AlertState.FIRING,
        AlertState.RESOLVED,
        "user:bob",
        "fixed the deploy",
    )
