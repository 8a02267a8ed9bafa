from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

from alerthub.config.flapping import FlappingConfig
from alerthub.config.models import RuleConfig
from alerthub.domain.flapping import FlapPolicy
from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.rules.defaults import builtin_rules
from alerthub.rules.ruleset import RuleSet

_RULE_FIELDS = {f.name for f in fields(Rule)} - {"name", "builtin"}


def build_ruleset(configured: list[RuleConfig], from_sources: Iterable[Rule] = ()) -> RuleSet:
    """Built-ins first: rules/defaults.py's and those the sources bring (`from_sources`, which may not
    reuse a built-in name). A configured rule of the same name overrides only the keys it sets,
    so `{name: system_cpu_high, for: 5m}` keeps the seed's threshold."""
    rules = {rule.name: rule for rule in builtin_rules()}
    for rule in from_sources:
        if rule.name in rules:
            raise ValueError(f"a source brings the rule {rule.name!r}, which is already built in")
        rules[rule.name] = replace(rule, builtin=True)
    for rc in configured:
        given = _given(rc)
        base = rules.get(rc.name)
        if base is None:
            given.setdefault("severity", _lowest(rc.thresholds))
            rules[rc.name] = Rule(name=rc.name, **given)
        else:
            rules[rc.name] = replace(base, builtin=False, **given)
    return RuleSet(rules.values())


def _given(rc: RuleConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in rc.model_fields_set:
        if key not in _RULE_FIELDS:
            continue
        value = getattr(rc, key)
        if key == "severity" and value is None:
            continue
        out[key] = tuple(value) if key == "resolves" else _flap_policy(value) if key == "flapping" else value
    return out


def _flap_policy(value: FlappingConfig | bool) -> FlapPolicy | None:
    if value is True:
        return FlapPolicy()
    if value is False:
        return None
    return FlapPolicy(value.window, value.changes, value.settle)


def _lowest(thresholds: dict[Severity, float]) -> Severity:
    return min(thresholds, key=lambda s: s.rank) if thresholds else Severity.WARNING
