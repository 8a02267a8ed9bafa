from datetime import timedelta

from alerthub.config.models import RuleConfig
from alerthub.domain.rule import Comparison
from alerthub.domain.severity import Severity
from alerthub.rules.build import build_ruleset
from alerthub.rules.defaults import builtin_rules


def test_every_seed_rule_name_ships_built_in() -> None:
    names = {r.name for r in builtin_rules()}
    seed = {
        "sentry_error_rate",
        "sentry_performance_issue",
        "hetrixtools_uptime",
        "hetrixtools_response_time",
        "hetrixtools_downtime",
        "hetrixtools_recovery",
        "system_cpu_high",
        "system_memory_high",
        "system_disk_high",
        "system_network_error",
    }
    assert seed <= names


def test_override_changes_only_the_keys_it_sets() -> None:
    rules = build_ruleset([RuleConfig.model_validate({"name": "sentry_error_rate", "for": "5m"})])
    rule = rules.require("sentry_error_rate")
    assert rule.for_ == timedelta(minutes=5)
    assert rule.thresholds == {Severity.HIGH: 10, Severity.CRITICAL: 50}
    assert not rule.builtin


def test_new_rule_defaults_severity_to_its_lowest_threshold() -> None:
    config = {"name": "queue_depth", "comparison": ">=", "thresholds": {"critical": 1000, "warning": 100}}
    rule = build_ruleset([RuleConfig.model_validate(config)]).require("queue_depth")
    assert rule.comparison is Comparison.GE
    assert rule.severity is Severity.WARNING
    assert rule.severity_for(150) is Severity.WARNING
    assert rule.severity_for(1000) is Severity.CRITICAL


def test_recovery_rule_resolves_downtime_and_opens_nothing() -> None:
    rule = build_ruleset([]).require("hetrixtools_recovery")
    assert rule.resolves == ("hetrixtools_downtime",)
    assert rule.creates_alerts is False
