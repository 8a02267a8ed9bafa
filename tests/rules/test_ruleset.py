"""Looking rules up: configured and built-in rules by name, and event rules for senders' own names."""

from __future__ import annotations

import pytest

from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.errors import UnknownRuleError
from alerthub.rules.ruleset import _PASSTHROUGH_KEPT, RuleSet


def test_a_known_name_is_its_rule_whatever_the_sender() -> None:
    disk = Rule(name="disk", thresholds={Severity.HIGH: 90.0})
    rules = RuleSet([disk])
    assert rules.passthrough_for("disk", "alertmanager") is disk
    assert rules.require("disk") is disk


def test_an_unknown_name_is_an_event_rule_of_its_sender() -> None:
    rules = RuleSet([])
    rule = rules.passthrough_for("HighLatency", "alertmanager")
    assert (rule.name, rule.source, rule.severity, rule.thresholds) == (
        "HighLatency",
        "alertmanager",
        Severity.WARNING,
        {},
    )
    assert rules.passthrough_for("HighLatency", "pagerduty").source == "pagerduty"
    assert rules.passthrough_for("HighLatency", "alertmanager") == rule
    with pytest.raises(UnknownRuleError):
        rules.require("HighLatency")


def test_names_from_outside_cannot_grow_memory_without_bound() -> None:
    rules = RuleSet([])
    for n in range(_PASSTHROUGH_KEPT * 3):
        assert rules.passthrough_for(f"name-{n}", "alertmanager").name == f"name-{n}"
    assert len(rules._passthrough) <= _PASSTHROUGH_KEPT
