"""What an escalation does next, decided without I/O: from where it stands, its policy, the alert as it is
now and the time, the next position and the step to page (if any), with the reason in words for the
alert's history. Who a step reaches (the people on call, the receivers named) is `reach`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerthub.domain.alert import AlertState
from alerthub.domain.durations import format_duration
from alerthub.domain.escalation import Escalation, EscalationPolicy, EscalationState, EscalationStep
from alerthub.domain.oncall import Override
from alerthub.oncall.roster import Roster


@dataclass(frozen=True, slots=True)
class AlertNow:
    """What the decision needs of the alert; `state` None when the alert is gone."""

    state: AlertState | None
    episode: int
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """The escalation's next position; `take`: the step to page now (`label` says which, `note` why);
    `lapse`: the acknowledgement lapsed, so the alert goes back to firing before the page."""

    state: EscalationState
    cycle: int
    round: int
    step: int
    next_at: datetime | None
    note: str
    take: EscalationStep | None = None
    label: str = ""
    lapse: bool = False


def decide(esc: Escalation, policy: EscalationPolicy | None, alert: AlertNow, now: datetime) -> Move:
    if policy is None:
        return _over(esc, f"the policy {esc.policy!r} is no longer configured")
    if alert.state is None or alert.episode != esc.episode or alert.state is AlertState.RESOLVED:
        return _over(esc, "the alert resolved")
    if alert.state is AlertState.ACKNOWLEDGED:
        return _acknowledged(esc, policy, alert, now)
    if esc.state is EscalationState.EXHAUSTED:
        return _stay(esc, esc.note)  # woken, but still unacknowledged: every step has been taken
    if esc.state is EscalationState.ACKNOWLEDGED:
        return _take(esc, policy, now, esc.cycle + 1, 0, 0, "the acknowledgement was withdrawn: paging again")
    return _next_step(esc, policy, now)


def _acknowledged(esc: Escalation, policy: EscalationPolicy, alert: AlertNow, now: datetime) -> Move:
    who = alert.acknowledged_by or "someone"
    if policy.ack_timeout is None or alert.acknowledged_at is None:
        return _over(esc, f"acknowledged by {who}")
    lapses_at = alert.acknowledged_at + policy.ack_timeout
    if now < lapses_at:
        note = f"acknowledged by {who}; lapses after {format_duration(policy.ack_timeout)} if it still fires"
        return Move(EscalationState.ACKNOWLEDGED, esc.cycle, esc.round, esc.step, lapses_at, note)
    why = f"the acknowledgement by {who} lapsed after {format_duration(policy.ack_timeout)}: paging again"
    move = _take(esc, policy, now, esc.cycle + 1, 0, 0, why)
    return Move(move.state, move.cycle, move.round, move.step, move.next_at, move.note, move.take, move.label, True)


def _next_step(esc: Escalation, policy: EscalationPolicy, now: datetime) -> Move:
    if esc.step < len(policy.steps):
        first = esc.round == 0 and esc.step == 0
        why = "first page" if first else f"no acknowledgement after {format_duration(_waited(policy, esc))}"
        return _take(esc, policy, now, esc.cycle, esc.round, esc.step, why)
    if esc.round < policy.repeat:
        why = f"no acknowledgement after {format_duration(_waited(policy, esc))}: round {esc.round + 2}"
        return _take(esc, policy, now, esc.cycle, esc.round + 1, 0, why)
    rounds = f" in {esc.round + 1} rounds" if esc.round else ""
    note = f"every step taken{rounds} and no acknowledgement after {format_duration(_waited(policy, esc))}"
    return Move(EscalationState.EXHAUSTED, esc.cycle, esc.round, esc.step, None, note)


def _take(
    esc: Escalation, policy: EscalationPolicy, now: datetime, cycle: int, round_: int, step: int, why: str
) -> Move:
    taken = policy.steps[step]
    label = f"step {step + 1} of {len(policy.steps)}" + (f", round {round_ + 1}" if round_ else "")
    return Move(EscalationState.ACTIVE, cycle, round_, step + 1, now + taken.wait, why, taken, label)


def _waited(policy: EscalationPolicy, esc: Escalation) -> timedelta:
    """The wait of the step taken last (the one before `esc.step`)."""
    return policy.steps[max(esc.step - 1, 0)].wait


def _over(esc: Escalation, why: str) -> Move:
    return Move(EscalationState.DONE, esc.cycle, esc.round, esc.step, None, why)


def _stay(esc: Escalation, why: str) -> Move:
    return Move(esc.state, esc.cycle, esc.round, esc.step, None, why)


@dataclass(frozen=True, slots=True)
class Reach:
    """Who one step pages: people (by name, in order, once each), receivers to tell as a whole, and what
    could not be reached, in words."""

    people: tuple[str, ...]
    receivers: tuple[str, ...]
    gaps: tuple[str, ...]


def reach(step: EscalationStep, roster: Roster, overrides: Sequence[Override], at: datetime) -> Reach:
    people: list[str] = []
    receivers: list[str] = []
    gaps: list[str] = []
    for target in step.notify:
        kind, _, name = target.partition(":")
        if kind == "receiver":
            receivers.append(name)
        elif kind == "person":
            people.append(name) if name in roster.people else gaps.append(f"no person named {name!r}")
        else:
            on_call = [p.name for p in roster.on_call(name, at, overrides)]
            people += on_call
            if not on_call:
                gaps.append(f"nobody is on call for schedule {name!r}")
    return Reach(tuple(dict.fromkeys(people)), tuple(dict.fromkeys(receivers)), tuple(gaps))
