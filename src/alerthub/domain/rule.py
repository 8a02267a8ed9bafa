from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from alerthub.domain.flapping import FlapPolicy
from alerthub.domain.severity import Severity


class Comparison(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="

    def holds(self, value: float, threshold: float) -> bool:
        return _OPS[self](value, threshold)


_OPS: dict[Comparison, Callable[[float, float], bool]] = {
    Comparison.GT: operator.gt,
    Comparison.GE: operator.ge,
    Comparison.LT: operator.lt,
    Comparison.LE: operator.le,
    Comparison.EQ: operator.eq,
    Comparison.NE: operator.ne,
}


@dataclass(frozen=True, slots=True)
class Rule:
    """What a signal means.

    A rule with thresholds compares the value; a rule without thresholds fires on every
    signal at `severity` (an event rule). A rule whose only job is `resolves` (no thresholds,
    `creates_alerts` false) never opens an alert of its own: `hetrixtools_recovery`.
    """

    name: str
    source: str = "api"
    metric: str = "value"
    comparison: Comparison = Comparison.GT
    thresholds: dict[Severity, float] = field(default_factory=dict)
    severity: Severity = Severity.WARNING
    for_: timedelta = timedelta(0)
    keep_firing_for: timedelta = timedelta(0)
    cooldown: timedelta = timedelta(0)
    resolves: tuple[str, ...] = ()
    creates_alerts: bool = True
    labels: dict[str, str] = field(default_factory=dict)
    summary: str | None = None
    description: str | None = None
    runbook_url: str | None = None
    builtin: bool = False
    flapping: FlapPolicy | None = FlapPolicy()  # None: changes never make its alerts flapping

    def severity_for(self, value: float) -> Severity | None:
        """The highest severity whose threshold the value crosses, or None when inside all."""
        crossed = [sev for sev, limit in self.thresholds.items() if self.comparison.holds(value, limit)]
        return max(crossed, key=lambda s: s.rank) if crossed else None


class RuleLookup(Protocol):
    """The effective rules as the boxes right of `rules/` see them: looked up by name, iterated."""

    def get(self, name: str) -> Rule | None: ...

    def __iter__(self) -> Iterator[Rule]: ...
