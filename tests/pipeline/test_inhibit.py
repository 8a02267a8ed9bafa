"""Inhibition rules: source, target, equal, and no self- or mutual inhibition."""

from __future__ import annotations

import pytest

from alerthub.config.models import InhibitRuleConfig
from alerthub.pipeline.inhibit import Inhibitor, InhibitRule
from alerthub.pipeline.matchers import alert_labels
from alerthub.store.groups import FiringAlert


def alert(alert_id: int, rule: str, severity: str = "warning", **labels: str) -> FiringAlert:
    return FiringAlert(alert_id, rule, severity, labels)


DOWN_INHIBITS_SLOW = InhibitRule.from_config(
    InhibitRuleConfig(
        source_match={"alertname": "hetrixtools_downtime"},
        target_matchers=['alertname="hetrixtools_response_time"'],
        equal=["service"],
    )
)
CRITICAL_INHIBITS_WARNING = InhibitRule.from_config(
    InhibitRuleConfig(source_match_re={"severity": "critical"}, target_match={"severity": "warning"}, equal=["host"])
)


@pytest.mark.parametrize(
    ("rule", "sources", "target", "inhibited_by"),
    [
        (
            DOWN_INHIBITS_SLOW,
            [alert(1, "hetrixtools_downtime", service="shop")],
            alert(9, "hetrixtools_response_time", service="shop"),
            1,
        ),
        (
            DOWN_INHIBITS_SLOW,
            [alert(1, "hetrixtools_downtime", service="blog")],
            alert(9, "hetrixtools_response_time", service="shop"),
            None,
        ),  # equal labels differ
        (DOWN_INHIBITS_SLOW, [alert(1, "hetrixtools_downtime")], alert(9, "hetrixtools_response_time"), 1),  # both ""
        (DOWN_INHIBITS_SLOW, [], alert(9, "hetrixtools_response_time", service="shop"), None),
        (CRITICAL_INHIBITS_WARNING, [alert(1, "host_down", "critical", host="a")], alert(9, "cpu", host="a"), 1),
        (
            CRITICAL_INHIBITS_WARNING,
            [alert(1, "host_down", "critical", host="a")],
            alert(9, "cpu", "high", host="a"),
            None,
        ),
    ],
)
def test_inhibition(
    rule: InhibitRule, sources: list[FiringAlert], target: FiringAlert, inhibited_by: int | None
) -> None:
    found = Inhibitor([rule], sources).inhibited_by(
        target.id, alert_labels(target.labels, target.rule_name, target.severity)
    )
    assert (found[0].alert_id if found else None) == inhibited_by


def test_alerts_matching_both_sides_do_not_mute_each_other() -> None:
    rule = InhibitRule.from_config(InhibitRuleConfig(source_match={"kind": "x"}, target_match={"kind": "x"}))
    a, b = alert(1, "r", kind="x"), alert(2, "r", kind="x")
    inhibitor = Inhibitor([rule], [a, b])
    assert inhibitor.inhibited_by(1, alert_labels(a.labels, "r", "warning")) is None
    assert inhibitor.inhibited_by(2, alert_labels(b.labels, "r", "warning")) is None
