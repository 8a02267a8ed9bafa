from __future__ import annotations

from collections.abc import Iterable, Iterator

from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.errors import UnknownRuleError


class RuleSet:
    """The effective rules: built-ins overridden or extended by configuration, looked up by name.

    `passthrough_for` serves senders that name their own alerts (Alertmanager's `alertname`,
    PagerDuty events): an unknown name gets an event rule rather than a rejection.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self._rules[rule.name] = rule
        self._passthrough: dict[tuple[str, str], Rule] = {}

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def names(self) -> list[str]:
        return sorted(self._rules)

    def get(self, name: str) -> Rule | None:
        return self._rules.get(name)

    def require(self, name: str) -> Rule:
        rule = self._rules.get(name)
        if rule is None:
            raise UnknownRuleError(name, self.names())
        return rule

    def passthrough_for(self, name: str, source: str) -> Rule:
        known = self._rules.get(name)
        if known is not None:
            return known
        # Senders repeat their alert names: keep the recent rules rather than build one per signal.
        # Bounded, since the names come from outside.
        key = (name, source)
        rule = self._passthrough.get(key)
        if rule is None:
            if len(self._passthrough) >= _PASSTHROUGH_KEPT:
                self._passthrough.clear()
            rule = self._passthrough[key] = Rule(name=name, source=source, severity=Severity.WARNING)
        return rule


_PASSTHROUGH_KEPT = 1024
