from datetime import UTC, datetime
from typing import Any

import pytest

from alerthub.domain.severity import Severity
from alerthub.domain.signal import SignalStatus
from alerthub.errors import InputError
from alerthub.sources.alertmanager import parse_postable, parse_webhook

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def alert(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "api-1"},
        "annotations": {"summary": "5xx above 5%"},
        "startsAt": "2026-11-27T08:55:00Z",
        "generatorURL": "http://prometheus:9090/graph",
    }
    return {**base, **overrides}


def test_postable_alert_becomes_a_firing_signal_named_by_alertname() -> None:
    [signal] = parse_postable([alert()], NOW, max_alerts=10)
    assert signal.rule_name == "HighErrorRate"
    assert signal.labels["instance"] == "api-1"
    assert signal.severity is Severity.CRITICAL
    assert signal.status is SignalStatus.FIRING
    assert signal.annotations["generator_url"] == "http://prometheus:9090/graph"


def test_ends_at_in_the_past_resolves_and_in_the_future_fires() -> None:
    past, future = parse_postable(
        [alert(endsAt="2026-11-27T08:59:00Z"), alert(endsAt="2026-11-27T09:05:00Z")], NOW, max_alerts=10
    )
    assert past.status is SignalStatus.RESOLVED
    assert future.status is SignalStatus.FIRING and future.ends_at == datetime(2026, 11, 27, 9, 5, tzinfo=UTC)


def test_webhook_v4_zero_time_means_no_end() -> None:
    body = {"version": "4", "status": "firing", "alerts": [alert(endsAt="0001-01-01T00:00:00Z", status="firing")]}
    [signal] = parse_webhook(body, NOW, max_alerts=10)
    assert signal.ends_at is None and signal.status is SignalStatus.FIRING
    resolved = {"version": "4", "alerts": [alert(status="resolved")]}
    assert parse_webhook(resolved, NOW, max_alerts=10)[0].status is SignalStatus.RESOLVED


@pytest.mark.parametrize(
    ("body", "where", "status"),
    [
        ({"labels": {}}, "body", 422),
        ([{"labels": {}}], "body[0].labels", 422),
        ([{"labels": {"severity": "x"}}], "body[0]", 422),
        ([{"labels": {"alertname": 3}}], "body[0].labels.alertname", 422),
        ([alert(startsAt="yesterday")], "body[0].startsAt", 422),
        ([alert(startsAt="2026-11-27T08:55:00")], "body[0].startsAt", 422),
        ([alert(endsAt="2026-11-27T08:00:00Z")], "body[0]", 422),
        ([alert()] * 11, "body", 413),
    ],
)
def test_bad_alerts_are_rejected_with_their_index(body: Any, where: str, status: int) -> None:
    with pytest.raises(InputError) as caught:
        parse_postable(body, NOW, max_alerts=10)
    assert caught.value.status == status
    assert any(p.location == where for p in caught.value.problems), caught.value.problems
