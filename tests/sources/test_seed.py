import json
from typing import Any

import httpx
import pytest

from alerthub.domain.severity import Severity
from alerthub.errors import InputError
from alerthub.hub import Hub
from alerthub.sources.seed import parse_send
from support.seed import seed_payloads
from support.webhooks import FIXTURES

PAYLOADS = seed_payloads()


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_every_seed_payload_parses_and_keeps_the_raw_body(name: str) -> None:
    body = PAYLOADS[name]
    signal = parse_send(body)
    assert signal.rule_name == body["rule_name"]
    assert signal.value == float(body["metric_data"]["metric_value"])
    assert signal.annotations["summary"] == body["metric_data"]["additional_info"]
    assert signal.raw == body


def test_identifying_keys_become_labels_and_the_rest_annotations() -> None:
    signal = parse_send(PAYLOADS["hetrixtools_uptime"])
    assert signal.labels == {
        "service": "Shop API",
        "monitor_id": "3f9c2a7e5b1d4c8e9a0b6d2f4e8c1a7b",
        "url": "https://api.example.com/health",
    }
    assert signal.annotations["uptime_percentage"] == "98.2"
    assert "status" in signal.annotations


def test_sentry_project_identifies_and_null_fields_are_dropped() -> None:
    signal = parse_send(PAYLOADS["sentry_webhook_error_rate"])
    assert signal.labels == {"project": "shop-frontend"}
    assert "issue_url" not in signal.annotations
    assert signal.annotations["title"].startswith("TypeError")


def test_non_string_values_are_kept_as_json_text() -> None:
    signal = parse_send(PAYLOADS["system_cpu_high"])
    assert signal.annotations["load_avg"] == "[1.92,1.4,0.88]"


def test_hetrixtools_down_status_means_critical() -> None:
    body = PAYLOADS["hetrixtools_uptime"]
    down = {**body, "metric_data": {**body["metric_data"], "hetrixtools_data": {"service_name": "x", "status": "down"}}}
    assert parse_send(down).severity is Severity.CRITICAL


def test_explicit_labels_severity_and_status_are_honoured() -> None:
    body = {
        "rule_name": "system_cpu_high",
        "metric_data": {"metric_value": 99},
        "labels": {"host": "web-1"},
        "severity": "critical",
        "status": "resolved",
    }
    signal = parse_send(body)
    assert signal.labels == {"host": "web-1"} and signal.severity is Severity.CRITICAL
    assert signal.status is not None and signal.status.value == "resolved"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"metric_data": {"metric_value": 1}}, "body.rule_name"),
        ({"rule_name": "", "metric_data": {"metric_value": 1}}, "body.rule_name"),
        ({"rule_name": 5, "metric_data": {"metric_value": 1}}, "body.rule_name"),
        ({"rule_name": "x"}, "body.metric_data"),
        ({"rule_name": "x", "metric_data": {"metric_value": "12"}}, "body.metric_data.metric_value"),
        ({"rule_name": "x", "metric_data": {"metric_value": True}}, "body.metric_data.metric_value"),
        ({"rule_name": "x", "metric_data": {"metric_value": 1, "sentry_data": "oops"}}, "body.metric_data.sentry_data"),
        ({"rule_name": "x", "metric_data": {"metric_value": 1}, "labels": {"a": 1}}, "body.labels.a"),
        ({"rule_name": "x", "metric_data": {"metric_value": 1}, "severity": "apocalyptic"}, "body.severity"),
        ({"rule_name": "x", "metric_data": {"metric_value": 1}, "extra": 1}, "body.extra"),
        ([1, 2], "body"),
    ],
)
def test_bad_bodies_name_the_field(body: Any, where: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_send(body)
    assert caught.value.status == 422
    assert any(p.location == where for p in caught.value.problems), caught.value.problems


def test_a_system_payload_without_a_host_takes_the_senders_address() -> None:
    body = json.loads((FIXTURES / "seed" / "system_cpu_high.json").read_text())
    assert parse_send(body, "10.0.0.5").labels["host"] == "10.0.0.5"
    named = {**body, "labels": {"host": "web-1"}}
    assert parse_send(named, "10.0.0.5").labels["host"] == "web-1", "a named host wins"
    other = json.loads((FIXTURES / "seed" / "sentry_webhook_error_rate.json").read_text())
    assert "host" not in parse_send(other, "10.0.0.5").labels, "only the system monitor runs on its host"
    recovered = {"rule_name": "system_cpu_high", "metric_data": {"metric_value": 12}}
    assert parse_send(recovered, "10.0.0.5").labels["host"] == "10.0.0.5", "its all-clear names the same host"


async def test_two_servers_cpu_alerts_are_two_alerts(hub: Hub) -> None:
    from alerthub.api.app import create_app

    body = json.loads((FIXTURES / "seed" / "system_cpu_high.json").read_text())
    app = create_app(hub, migrate=False, run_background=False)
    ids = []
    for address in ("10.0.0.5", "10.0.0.6"):
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            answer = await client.post("/api/alerts/send", json=body)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["alert_id"])
    assert ids[0] != ids[1]
