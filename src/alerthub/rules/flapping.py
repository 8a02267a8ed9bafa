"""Counting an alert's changes between firing and resolved, as a pure function of the change the signal
made: past its rule's `changes` within `window`, the alert is flapping (an event says so, with the
changes). The spell ends in the sweeper, once the alert has held one state for `settle` (`settle`)."""

from __future__ import annotations

from datetime import datetime

from alerthub.domain.alert import Alert, AlertChange, AlertEvent, AlertState, EventKind, evolve
from alerthub.domain.clock import utc_text
from alerthub.domain.durations import format_duration
from alerthub.domain.flapping import NOT_FLAPPING, FlapPolicy, FlapState

_ON = frozenset((AlertState.FIRING, AlertState.ACKNOWLEDGED))


def opening(policy: FlapPolicy | None, now: datetime) -> FlapState:
    """A new alert's flap state when it opens firing: its first change, counted where the alert is built
    (rules/lifecycle.py) rather than by a second copy in `track` (bench/NOTES.md). One change never makes
    an alert flapping (`changes` is at least 2)."""
    return NOT_FLAPPING if policy is None else FlapState((now,))


def track(change: AlertChange, policy: FlapPolicy | None, now: datetime, actor: str) -> AlertChange:
    """The change with the alert's flap state brought up to date; unchanged when it is no flip, or when it
    opens a new alert (`opening` counted that already)."""
    before = change.before
    if policy is None or before is None or not _flips(before, change.after):
        return change
    known = before.flap
    recent = tuple(t for t in known.changes if t > now - policy.window) + (now,)
    recent = recent[-(policy.changes + 1) :]
    since, events = known.since, change.events
    if since is None and len(recent) > policy.changes:
        since = now
        events += (_started(change.after, policy, recent, now, actor),)
    flap = FlapState(recent, since, known.settled_at)
    return AlertChange(before, _with_flap(change.after, flap), events)


def settle(a: Alert, policy: FlapPolicy, now: datetime) -> AlertChange | None:
    """The end of a flapping spell once the alert has held its state for `settle`; None before that."""
    if a.flap.since is None or now - a.state_changed_at < policy.settle:
        return None
    held = "firing" if a.state in _ON else a.state.value
    reason = f"flapping ended: {held} for {format_duration(now - a.state_changed_at)}"
    event = AlertEvent(EventKind.FLAPPING, now, "rule:flapping", a.episode, reason=reason)
    return AlertChange(a, _with_flap(a, FlapState((), None, now)), (event,))


def _flips(before: Alert | None, after: Alert) -> bool:
    was = before is not None and before.state in _ON
    return was != (after.state in _ON)


def _started(a: Alert, policy: FlapPolicy, recent: tuple[datetime, ...], now: datetime, actor: str) -> AlertEvent:
    shown = ", ".join(utc_text(t, "seconds") for t in recent)
    reason = f"flapping: {len(recent)} changes in {format_duration(policy.window)} ({shown})"
    return AlertEvent(EventKind.FLAPPING, now, actor, a.episode, reason=reason, detail={"changes": len(recent)})


def _with_flap(a: Alert, flap: FlapState) -> Alert:
    return evolve(a, flap=flap)  # every new alert is a flip: the fast copy, as the lifecycle's own
