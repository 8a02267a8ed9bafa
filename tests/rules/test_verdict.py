import pytest

from alerthub.domain.rule import Comparison, Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.rules.defaults import builtin_rules
from alerthub.rules.verdict import Outcome, Verdict, judge

RULES = {r.name: r for r in builtin_rules()}


def signal(rule: str, value: float | None, **kwargs: object) -> Signal:
    return Signal(rule_name=rule, source="test", value=value, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        # The seed's thresholds: sentry_error_rate > 10 high, > 50 critical.
        ("sentry_error_rate", 10, Verdict(Outcome.CLEAR)),
        ("sentry_error_rate", 11, Verdict(Outcome.FIRE, Severity.HIGH)),
        ("sentry_error_rate", 50, Verdict(Outcome.FIRE, Severity.HIGH)),
        ("sentry_error_rate", 51, Verdict(Outcome.FIRE, Severity.CRITICAL)),
        ("system_cpu_high", 80, Verdict(Outcome.CLEAR)),
        ("system_cpu_high", 80.1, Verdict(Outcome.FIRE, Severity.HIGH)),
        ("system_memory_high", 90.5, Verdict(Outcome.FIRE, Severity.HIGH)),
        ("system_disk_high", 89, Verdict(Outcome.CLEAR)),
        ("hetrixtools_uptime", 99, Verdict(Outcome.CLEAR)),
        ("hetrixtools_uptime", 98.9, Verdict(Outcome.FIRE, Severity.HIGH)),
        ("hetrixtools_response_time", 3000.5, Verdict(Outcome.FIRE, Severity.WARNING)),
        # Event rules fire on every signal at their own severity.
        ("hetrixtools_downtime", 0, Verdict(Outcome.FIRE, Severity.CRITICAL)),
    ],
)
def test_seed_thresholds(rule: str, value: float, expected: Verdict) -> None:
    assert judge(signal(rule, value), RULES[rule]) == expected


def test_explicit_status_wins_over_value() -> None:
    rule = RULES["sentry_error_rate"]
    assert judge(signal(rule.name, 99, status=SignalStatus.RESOLVED), rule).outcome is Outcome.RESOLVE
    assert judge(signal(rule.name, 1, status=SignalStatus.FIRING), rule).outcome is Outcome.FIRE
    assert judge(signal(rule.name, None, status=SignalStatus.ACKNOWLEDGED), rule).outcome is Outcome.ACKNOWLEDGE


def test_sender_severity_applies_only_once_outside_thresholds() -> None:
    rule = RULES["hetrixtools_uptime"]
    down = judge(signal(rule.name, 90, severity=Severity.CRITICAL), rule)
    assert down == Verdict(Outcome.FIRE, Severity.CRITICAL)
    assert judge(signal(rule.name, 100, severity=Severity.CRITICAL), rule).outcome is Outcome.CLEAR


def test_value_without_thresholds_or_no_value_fires_at_rule_severity() -> None:
    rule = Rule("custom", severity=Severity.INFO)
    assert judge(signal("custom", 5), rule) == Verdict(Outcome.FIRE, Severity.INFO)
    threshold_rule = Rule("t", comparison=Comparison.GT, thresholds={Severity.HIGH: 1}, severity=Severity.HIGH)
    assert judge(signal("t", None), threshold_rule) == Verdict(Outcome.FIRE, Severity.HIGH)
