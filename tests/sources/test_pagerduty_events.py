from typing import Any

import pytest

from alerthub.domain.severity import Severity
from alerthub.domain.signal import SignalStatus
from alerthub.errors import InputError
from alerthub.sources.pagerduty import parse_event

TRIGGER: dict[str, Any] = {
    "routing_key": "R0123456789abcdef0123456789abcdef",
    "event_action": "trigger",
    "dedup_key": "sentry-issue-4711",
    "payload": {
        "summary": "TypeError in checkout",
        "source": "shop-api",
        "severity": "error",
        "component": "checkout",
        "custom_details": {"count": 12},
    },
    "links": [{"href": "https://sentry.test/issues/4711", "text": "Sentry issue"}],
}


def test_trigger_maps_summary_source_and_severity() -> None:
    signal = parse_event(TRIGGER)
    assert signal.status is SignalStatus.FIRING
    assert signal.severity is Severity.HIGH
    assert signal.labels == {"dedup_key": "sentry-issue-4711", "source": "shop-api", "component": "checkout"}
    assert signal.identity == ("dedup_key",)
    assert signal.annotations["summary"] == "TypeError in checkout"
    assert signal.annotations["details"] == '{"count":12}'
    assert signal.annotations["url"] == "https://sentry.test/issues/4711"


def test_trigger_without_dedup_key_gets_one() -> None:
    body = {k: v for k, v in TRIGGER.items() if k != "dedup_key"}
    assert len(parse_event(body).labels["dedup_key"]) == 32


@pytest.mark.parametrize(
    ("action", "status"), [("acknowledge", SignalStatus.ACKNOWLEDGED), ("resolve", SignalStatus.RESOLVED)]
)
def test_acknowledge_and_resolve_need_only_the_key(action: str, status: SignalStatus) -> None:
    signal = parse_event({"routing_key": "r", "event_action": action, "dedup_key": "sentry-issue-4711"})
    assert signal.status is status and signal.labels == {"dedup_key": "sentry-issue-4711"}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({**TRIGGER, "event_action": "explode"}, "body.event_action"),
        ({k: v for k, v in TRIGGER.items() if k != "routing_key"}, "body.routing_key"),
        ({k: v for k, v in TRIGGER.items() if k != "payload"}, "body"),
        ({"routing_key": "r", "event_action": "resolve"}, "body"),
        ({**TRIGGER, "payload": {**TRIGGER["payload"], "severity": "bad"}}, "body.payload.severity"),
        ({**TRIGGER, "payload": {"source": "x", "severity": "info"}}, "body.payload.summary"),
    ],
)
def test_invalid_events_name_the_field(body: dict[str, Any], where: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_event(body)
    assert any(p.location == where for p in caught.value.problems), caught.value.problems
