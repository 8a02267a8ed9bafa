from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus


class Outcome(StrEnum):
    FIRE = "fire"
    CLEAR = "clear"
    RESOLVE = "resolve"
    ACKNOWLEDGE = "acknowledge"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a rule makes of one signal, before the alert's history is taken into account.

    CLEAR means "the value is back inside thresholds" (subject to `keep_firing_for`);
    RESOLVE means the source said so outright, and resolves at once.
    """

    outcome: Outcome
    severity: Severity | None = None


def judge(signal: Signal, rule: Rule) -> Verdict:
    if signal.status is SignalStatus.RESOLVED:
        return Verdict(Outcome.RESOLVE)
    if signal.status is SignalStatus.ACKNOWLEDGED:
        return Verdict(Outcome.ACKNOWLEDGE)
    if signal.status is SignalStatus.FIRING or signal.value is None or not rule.thresholds:
        return Verdict(Outcome.FIRE, signal.severity or _event_severity(signal, rule))
    crossed = rule.severity_for(signal.value)
    if crossed is None:
        return Verdict(Outcome.CLEAR)
    # A sender may raise or lower the level, but only once the value is outside thresholds: the rule
    # still decides whether it fires. A sender that knows better (a monitor that is down) says FIRING.
    return Verdict(Outcome.FIRE, signal.severity or crossed)


def _event_severity(signal: Signal, rule: Rule) -> Severity:
    if signal.value is not None and rule.thresholds:
        return rule.severity_for(signal.value) or rule.severity
    return rule.severity
