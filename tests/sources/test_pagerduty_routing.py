"""PagerDuty events as PagerDuty reads them: routing keys mapped to labels (`integrations.pagerduty`),
`links` and `images` kept, the routing key never stored, change events read, and every body that does not
validate refused with PagerDuty's 400 "Event object is invalid"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from alerthub.config.models import Config
from alerthub.errors import InputError
from alerthub.sources.pagerduty import INVALID, MASKED, parse_event
from alerthub.sources.pagerduty_change import parse_change
from alerthub.sources.pagerduty_settings import SETTINGS, PagerDutyConfig, RoutingKeys
from alerthub.sources.registry import check_integrations

KEY = "R0123456789abcdef0123456789abcdef"
KEYS = RoutingKeys.of(
    PagerDutyConfig.model_validate({"routing_keys": [{"key": KEY, "labels": {"service": "payments", "source": "pd"}}]})
)
TRIGGER: dict[str, Any] = {
    "routing_key": KEY,
    "event_action": "trigger",
    "dedup_key": "disk-db1",
    "payload": {"summary": "Disk 95%", "source": "db1", "severity": "critical"},
    "links": [{"href": "https://grafana.test/d/1", "text": "Dashboard"}, {"href": "https://runbook.test/disk"}],
    "images": [{"src": "https://grafana.test/render/1.png", "href": "https://grafana.test/d/1", "alt": "disk"}],
}


def problems(integrations: dict[str, Any]) -> list[str]:
    return [str(p) for p in check_integrations(Config.model_validate({"integrations": integrations}))]


def test_routing_keys_are_checked_with_their_locations() -> None:
    assert problems({"pagerduty": {"routing_keys": [{"key": KEY, "labels": {"service": "payments"}}]}}) == []
    found = problems(
        {
            "pagerduty": {
                "routing_keys": [
                    {"key": "", "labels": {"dedup_key": "x"}},
                    {"key": KEY, "labels": {"bad name": "x"}},
                    {"key": KEY, "lables": {}},
                ]
            }
        }
    )
    assert any(p.startswith("integrations.pagerduty.routing_keys[0].key: ") for p in found), found
    assert any(p.startswith("integrations.pagerduty.routing_keys[0].labels: ") and "dedup_key" in p for p in found)
    assert any(p.startswith("integrations.pagerduty.routing_keys[1].labels.bad name") for p in found), found
    assert "integrations.pagerduty.routing_keys[2].lables: unknown key (check the spelling)" in found


def test_a_key_listed_twice_is_a_configuration_error() -> None:
    twice = {"routing_keys": [{"key": KEY}, {"key": KEY, "labels": {"service": "x"}}]}
    [problem] = problems({"pagerduty": twice})
    assert problem.startswith("integrations.pagerduty: ") and "routing_keys[1]" in problem


def test_a_configured_key_adds_its_labels_over_the_events_own() -> None:
    signal = parse_event(TRIGGER, KEYS)
    assert signal.labels == {"dedup_key": "disk-db1", "source": "pd", "service": "payments"}
    assert signal.identity == ("dedup_key",), "the labels never change which alert an event is"
    other = parse_event({**TRIGGER, "routing_key": "someone-else"}, KEYS)
    assert other.labels == {"dedup_key": "disk-db1", "source": "db1"}
    resolve = parse_event({"routing_key": KEY, "event_action": "resolve", "dedup_key": "disk-db1"}, KEYS)
    assert resolve.labels["service"] == "payments"


def test_the_routing_key_is_not_kept_in_the_raw_payload() -> None:
    signal = parse_event(TRIGGER, KEYS)
    assert signal.raw["routing_key"] == MASKED and KEY not in orjson.dumps(signal.raw).decode()
    assert TRIGGER["routing_key"] == KEY, "the caller's body is left as it was"
    assert signal.raw["links"] == TRIGGER["links"]


def test_links_and_images_are_kept_as_annotations() -> None:
    annotations = parse_event(TRIGGER).annotations
    assert annotations["url"] == "https://grafana.test/d/1"
    assert orjson.loads(annotations["links"]) == TRIGGER["links"]
    assert orjson.loads(annotations["images"]) == TRIGGER["images"]
    bare = parse_event({k: v for k, v in TRIGGER.items() if k not in ("links", "images")}).annotations
    assert "links" not in bare and "images" not in bare


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({**TRIGGER, "event_action": "explode"}, "body.event_action"),
        ({**TRIGGER, "payload": {**TRIGGER["payload"], "component": "c" * 1025}}, "body.payload.component"),
        ({**TRIGGER, "images": [{"href": "https://x.test"}]}, "body.images[0].src"),
        ({**TRIGGER, "links": "https://x.test"}, "body.links"),
        ({"routing_key": KEY, "event_action": "acknowledge"}, "body"),
        (["not", "an", "object"], "body"),
    ],
)
def test_an_invalid_event_is_pagerdutys_400(body: Any, where: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_event(body, KEYS)
    assert (caught.value.status, caught.value.message) == (400, INVALID)
    assert any(p.location == where for p in caught.value.problems), caught.value.problems


def test_a_change_concerns_the_keys_labels_and_the_service_named_by_its_source() -> None:
    body = {
        "routing_key": KEY,
        "payload": {
            "summary": "Deployed payments v42",
            "source": "checkout",
            "timestamp": "2026-03-01T10:00:00Z",
            "custom_details": {"build": 42},
        },
        "links": [{"href": "https://ci.test/42", "text": "Build 42"}],
    }
    change = parse_change(body, KEYS)
    assert change.summary == "Deployed payments v42"
    assert change.changed_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert change.selectors == ({"service": "payments", "source": "pd"}, {"service": "checkout"})
    assert change.detail == {
        "source": "checkout",
        "custom_details": {"build": 42},
        "timestamp": "2026-03-01T10:00:00+00:00",
        "links": [{"href": "https://ci.test/42", "text": "Build 42"}],
    }
    anonymous = parse_change({"routing_key": "unlisted", "payload": {"summary": "restart"}}, KEYS)
    assert anonymous.selectors == () and anonymous.detail == {}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"routing_key": KEY, "payload": {"source": "x"}}, "body.payload.summary"),
        ({"payload": {"summary": "s"}}, "body.routing_key"),
        ({"routing_key": KEY, "payload": {"summary": "s", "timestamp": "yesterday"}}, "body.payload.timestamp"),
        ({"routing_key": KEY}, "body.payload"),
    ],
)
def test_an_invalid_change_is_pagerdutys_400(body: Any, where: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_change(body, KEYS)
    assert (caught.value.status, caught.value.message) == (400, INVALID)
    assert any(p.location == where for p in caught.value.problems), caught.value.problems


def test_no_pagerduty_settings_means_no_keys() -> None:
    assert SETTINGS.default() == PagerDutyConfig()
    assert RoutingKeys.of(SETTINGS.default()).labels(KEY) == {}
    assert not RoutingKeys.of(SETTINGS.default()).configured(KEY)
    assert KEYS.configured(KEY) and not KEYS.configured(KEY.upper())
