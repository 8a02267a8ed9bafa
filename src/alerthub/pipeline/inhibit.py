"""Inhibition, as Alertmanager does it: while a source alert fires, target alerts with the same `equal`
labels are muted (a service being down mutes its response-time alert).

An alert matching both sides is never inhibited by a source that also matches the target side, so two
alerts of one rule cannot mute each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerthub.config.models import InhibitRuleConfig
from alerthub.pipeline.batch import Batch, Member
from alerthub.pipeline.matchers import Matchers, alert_labels, from_config
from alerthub.store.groups import FiringAlert


@dataclass(frozen=True, slots=True)
class InhibitRule:
    source: Matchers
    target: Matchers
    equal: tuple[str, ...]

    @classmethod
    def from_config(cls, cfg: InhibitRuleConfig) -> InhibitRule:
        return cls(
            source=from_config(cfg.source_match, cfg.source_match_re, cfg.source_matchers),
            target=from_config(cfg.target_match, cfg.target_match_re, cfg.target_matchers),
            equal=tuple(cfg.equal),
        )


@dataclass(frozen=True, slots=True)
class Source:
    alert_id: int
    rule_name: str
    labels: dict[str, str]


class Inhibitor:
    def __init__(self, rules: Sequence[InhibitRule], firing: Sequence[FiringAlert]) -> None:
        self.rules = rules
        self.sources = [Source(a.id, a.rule_name, alert_labels(a.labels, a.rule_name, a.severity)) for a in firing]

    def inhibited_by(self, alert_id: int, labels: Mapping[str, str]) -> tuple[Source, InhibitRule] | None:
        for rule in self.rules:
            if not rule.target.matches(labels):
                continue
            two_sided = rule.source.matches(labels)
            for src in self.sources:
                if src.alert_id == alert_id or not rule.source.matches(src.labels):
                    continue
                if two_sided and rule.target.matches(src.labels):
                    continue
                if all(src.labels.get(n, "") == labels.get(n, "") for n in rule.equal):
                    return src, rule
        return None

    def mutes(self, member: Member, batch: Batch) -> tuple[str, str] | None:
        found = self.inhibited_by(member.id, member.labels) if self.rules else None
        if found is None:
            return None
        src, rule = found
        equal = ", ".join(f"{n}={src.labels.get(n, '')!r}" for n in rule.equal) or "no equal labels"
        return f"inhibit:{src.alert_id}", f"inhibited by alert #{src.alert_id} ({src.rule_name}; {equal})"
