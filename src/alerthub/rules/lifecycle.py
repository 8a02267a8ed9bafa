"""The alert life cycle as a pure function: (alert before, verdict, now) -> change.

pending --for elapsed--> firing --person--> acknowledged --clear/resolve--> resolved
A resolved alert that fires again reopens with the next episode number.
"""

from __future__ import annotations

from datetime import datetime

from alerthub.domain.alert import ACK_COMMENT, Alert, AlertChange, AlertEvent, AlertState, EventKind, evolve
from alerthub.domain.flapping import NOT_FLAPPING
from alerthub.domain.rule import Comparison, Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal
from alerthub.rules.flapping import opening, track
from alerthub.rules.templates import annotate
from alerthub.rules.verdict import Outcome, Verdict


def apply_signal(
    before: Alert | None, signal: Signal, rule: Rule, verdict: Verdict, fingerprint: str, now: datetime
) -> AlertChange | None:
    """The change a signal makes, or None when it touches nothing (a clear value with no open alert); a
    change between firing and resolved also counts towards flapping (rules/flapping.py)."""
    change = _apply(before, signal, rule, verdict, fingerprint, now)
    if change is None or rule.flapping is None:
        return change
    return track(change, rule.flapping, now, f"signal:{signal.source}")


def _apply(
    before: Alert | None, signal: Signal, rule: Rule, verdict: Verdict, fingerprint: str, now: datetime
) -> AlertChange | None:
    actor = f"signal:{signal.source}"
    if verdict.outcome is Outcome.FIRE:
        signal = annotate(signal, rule)
        severity = verdict.severity or rule.severity
        if before is None or before.state is AlertState.RESOLVED:
            return _open(before, signal, rule, severity, fingerprint, now, actor)
        return _refire(before, signal, rule, severity, now, actor)
    if before is None or before.state is AlertState.RESOLVED:
        return None
    if verdict.outcome is Outcome.ACKNOWLEDGE:
        return acknowledge(before, actor, "acknowledged by the sender", now)
    if verdict.outcome is Outcome.CLEAR and rule.keep_firing_for and before.state is not AlertState.PENDING:
        clear_since = before.clear_since or now
        if now - clear_since < rule.keep_firing_for:
            seen = _seen(before, signal, rule, now, counts=False)
            return AlertChange(before, evolve(seen, clear_since=clear_since), ())
    reason = "the source reported it resolved" if verdict.outcome is Outcome.RESOLVE else "value back inside thresholds"
    return resolve(_seen(before, signal, rule, now, counts=False), actor, reason, now, before=before)


def resolve(alert: Alert, actor: str, reason: str, now: datetime, before: Alert | None = None) -> AlertChange:
    after = evolve(alert, state=AlertState.RESOLVED, state_changed_at=now, resolved_at=now, clear_since=None)
    return AlertChange(before or alert, after, (_transition(alert, after, actor, reason, now),))


def acknowledge(alert: Alert, actor: str, reason: str, now: datetime, comment: str = "") -> AlertChange | None:
    """`comment`: what the person wrote; the acknowledged message quotes it (pipeline/acknowledge.py)."""
    if alert.state is not AlertState.FIRING:
        return None
    who = actor.split(":", 1)[-1]
    after = evolve(alert, state=AlertState.ACKNOWLEDGED, state_changed_at=now, acknowledged_by=who, acknowledged_at=now)
    detail = {ACK_COMMENT: comment} if comment else {}
    return AlertChange(alert, after, (_transition(alert, after, actor, reason, now, detail),))


def lapse_acknowledgement(alert: Alert, actor: str, reason: str, now: datetime) -> AlertChange | None:
    """An acknowledgement that outlived its escalation policy's `ack_timeout` on an alert still firing:
    the alert fires again, unacknowledged."""
    if alert.state is not AlertState.ACKNOWLEDGED:
        return None
    after = evolve(alert, state=AlertState.FIRING, state_changed_at=now, acknowledged_by=None, acknowledged_at=None)
    return AlertChange(alert, after, (_transition(alert, after, actor, reason, now),))


def _open(
    before: Alert | None,
    signal: Signal,
    rule: Rule,
    severity: Severity,
    fingerprint: str,
    now: datetime,
    actor: str,
) -> AlertChange:
    state = AlertState.PENDING if rule.for_ else AlertState.FIRING
    after = Alert(
        id=before.id if before else None,
        fingerprint=fingerprint,
        rule_name=rule.name,
        source=signal.source,
        state=state,
        severity=severity,
        value=signal.value,
        peak_value=signal.value,
        labels={**rule.labels, **signal.labels},
        annotations=dict(signal.annotations),
        episode=(before.episode + 1) if before else 1,
        count=1,
        first_seen=now,
        last_seen=now,
        state_changed_at=now,
        pending_since=now if state is AlertState.PENDING else None,
        ends_at=signal.ends_at,
        raw=signal.raw,
        # A new episode still counts the last one's changes; a new alert opening firing counts its first.
        flap=before.flap if before else (opening(rule.flapping, now) if state is AlertState.FIRING else NOT_FLAPPING),
    )
    reason = f"waiting {rule.for_} before firing" if state is AlertState.PENDING else "threshold crossed"
    if before is not None:
        reason = f"reopened: {reason}"
    return AlertChange(before, after, (_transition(before, after, actor, reason, now),))


def _refire(before: Alert, signal: Signal, rule: Rule, severity: Severity, now: datetime, actor: str) -> AlertChange:
    seen = _seen(before, signal, rule, now, counts=True)
    after = evolve(seen, severity=severity, clear_since=None)
    events: list[AlertEvent] = []
    if before.state is AlertState.PENDING and before.pending_since and now - before.pending_since >= rule.for_:
        after = evolve(after, state=AlertState.FIRING, state_changed_at=now, pending_since=None)
        events.append(_transition(before, after, actor, f"held for {rule.for_}", now))
    if severity is not before.severity:
        events.append(
            AlertEvent(
                kind=EventKind.SEVERITY,
                at=now,
                actor=actor,
                episode=after.episode,
                from_severity=before.severity,
                to_severity=severity,
                value=signal.value,
                reason="severity rose" if severity.rank > before.severity.rank else "severity fell",
            )
        )
    return AlertChange(before, after, tuple(events))


def _seen(alert: Alert, signal: Signal, rule: Rule, now: datetime, *, counts: bool) -> Alert:
    peak = alert.peak_value
    if signal.value is not None and (peak is None or _worse(rule, signal.value, peak)):
        peak = signal.value
    return evolve(
        alert,
        value=signal.value if signal.value is not None else alert.value,
        peak_value=peak,
        last_seen=now,
        count=alert.count + 1 if counts else alert.count,
        annotations={**alert.annotations, **signal.annotations},
        ends_at=signal.ends_at,
        raw=signal.raw if signal.raw is not None else alert.raw,
    )


def _worse(rule: Rule, value: float, than: float) -> bool:
    # "Peak" is the worst value seen: the lowest uptime, the highest error count.
    if rule.comparison in (Comparison.LT, Comparison.LE):
        return value < than
    return value > than


def _transition(
    before: Alert | None, after: Alert, actor: str, reason: str, now: datetime, detail: dict[str, str] | None = None
) -> AlertEvent:
    return AlertEvent(
        kind=EventKind.TRANSITION,
        at=now,
        actor=actor,
        episode=after.episode,
        from_state=before.state if before else None,
        to_state=after.state,
        to_severity=after.severity,
        value=after.value,
        reason=reason,
        detail=detail or {},
    )
