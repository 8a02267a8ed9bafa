"""PagerDuty's own Python client (`pip install pagerduty`, its EventsApiV2Client) against a real
`alerthub serve` with access control on, pointed at it by its `base_url` and nothing else changed: an
ingest token made with `alerthub tokens create` is the routing key, with no Authorization header.

The client only speaks HTTPS, so it reaches alerthub through a TLS-terminating relay on loopback, as a
reverse proxy fronts alerthub in production (tests/support/tls_front.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pagerduty
import pytest

from support.server import RunningHub, running_hub
from support.standins import Receiver
from support.tls_front import TlsFront

pytestmark = pytest.mark.e2e

PAYMENTS_KEY = "payments0123456789abcdef01234567"
WHEN = "2026-03-01T10:00:00+00:00"


@pytest.fixture(scope="module")
def hooks() -> Iterator[dict[str, Receiver]]:
    found = {"payments": Receiver(), "ops": Receiver()}
    yield found
    for receiver in found.values():
        receiver.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, hooks: dict[str, Receiver]) -> Iterator[RunningHub]:
    config: dict[str, Any] = {
        "channels": [
            {"name": f"{name}-hook", "type": "webhook", "url": f"{hook.base_url}/{name}"}
            for name, hook in hooks.items()
        ],
        "receivers": [{"name": name, "channels": [f"{name}-hook"]} for name in hooks],
        "route": {
            "receiver": "ops",
            "group_by": ["dedup_key"],
            "group_wait": "0s",
            "routes": [{"match": {"service": "payments"}, "receiver": "payments"}],
        },
        "integrations": {"pagerduty": {"routing_keys": [{"key": PAYMENTS_KEY, "labels": {"service": "payments"}}]}},
    }
    workdir = tmp_path_factory.mktemp("pagerduty-client")
    with running_hub(workdir, config, tokens={"uptime-kuma": "ingest", "reader": "read"}) as running:
        yield running


@pytest.fixture(scope="module")
def front(hub: RunningHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsFront]:
    port = int(hub.url.rsplit(":", 1)[1])
    with TlsFront(("127.0.0.1", port), tmp_path_factory.mktemp("tls")) as relay:
        yield relay


def client(front: TlsFront, routing_key: str) -> Any:
    return pagerduty.EventsApiV2Client(routing_key, base_url=front.url, verify=front.client_context())


def alert(hub: RunningHub, dedup_key: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {hub.tokens['reader']}"}
    listed = httpx.get(hub.url + "/api/alerts", params={"label": f"dedup_key:{dedup_key}"}, headers=headers)
    [found] = listed.json()["alerts"]
    detail: dict[str, Any] = httpx.get(f"{hub.url}/api/alerts/{found['id']}", headers=headers).json()
    return detail


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_the_client_triggers_acknowledges_and_resolves_with_a_token_as_routing_key(
    hub: RunningHub, front: TlsFront
) -> None:
    events = client(front, hub.tokens["uptime-kuma"])
    links = [{"href": "https://status.test/db1", "text": "Status page"}]
    images = [{"src": "https://status.test/db1.png", "alt": "latency"}]
    dedup_key = events.trigger(
        "Disk 95% on db1", "db1", dedup_key="disk-db1", severity="error", links=links, images=images
    )
    assert dedup_key == "disk-db1"
    found = alert(hub, "disk-db1")
    assert (found["state"], found["severity"], found["annotations"]["summary"]) == ("firing", "high", "Disk 95% on db1")
    assert found["annotations"]["url"] == "https://status.test/db1" and "db1.png" in found["annotations"]["images"]
    assert hub.tokens["uptime-kuma"] not in str(found["raw"]), "the token is not kept with the alert"
    events.acknowledge("disk-db1")
    assert alert(hub, "disk-db1")["state"] == "acknowledged"
    events.resolve("disk-db1")
    assert alert(hub, "disk-db1")["state"] == "resolved"
    generated = events.trigger("CPU 99% on web1", "web1")
    assert len(generated) == 32 and alert(hub, generated)["state"] == "firing"


def test_an_unknown_routing_key_fails_in_the_client_with_pagerdutys_answer(hub: RunningHub, front: TlsFront) -> None:
    with pytest.raises(pagerduty.HttpError) as caught:
        client(front, "R0123456789abcdef0123456789abcd").trigger("never stored", "nowhere", dedup_key="refused")
    response = caught.value.response
    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["message"]) == ("invalid event", "Event object is invalid")
    assert any("routing_key" in error for error in body["errors"])
    listed = httpx.get(hub.url + "/api/alerts", headers={"Authorization": f"Bearer {hub.tokens['reader']}"})
    assert "refused" not in listed.text


def test_a_configured_routing_key_routes_its_alert_to_the_receiver_it_names(
    hub: RunningHub, front: TlsFront, hooks: dict[str, Receiver]
) -> None:
    client(front, PAYMENTS_KEY).trigger("Card API 5xx", "card-api", dedup_key="card-api-5xx")
    assert alert(hub, "card-api-5xx")["labels"]["service"] == "payments"
    wait_for(lambda: bool(hooks["payments"].requests), "the payments receiver called")
    body = hooks["payments"].requests[0].json()
    assert body["receiver"] == "payments"
    assert [a["labels"]["dedup_key"] for a in body["alerts"]] == ["card-api-5xx"]
    assert not any("card-api-5xx" in r.body.decode() for r in hooks["ops"].requests)


def test_a_change_event_from_the_client_lands_on_the_services_open_alerts(hub: RunningHub, front: TlsFront) -> None:
    client(front, hub.tokens["uptime-kuma"]).trigger("Checkout slow", "web2", dedup_key="checkout-slow")
    client(front, PAYMENTS_KEY).trigger("Card API 5xx", "card-api", dedup_key="card-api-change")
    # The client's own default timestamp is malformed (pagerduty 7.2 writes "+00:00Z"), so give one.
    client(front, PAYMENTS_KEY).submit(
        "Deployed payments v42",
        source="ci",
        custom_details={"build": 42},
        links=[{"href": "https://ci.test/42", "text": "Build 42"}],
        timestamp=WHEN,
    )
    [change] = [e for e in alert(hub, "card-api-change")["history"] if e["kind"] == "change"]
    assert change["reason"] == "Deployed payments v42"
    assert change["detail"]["custom_details"] == {"build": 42} and change["detail"]["timestamp"] == WHEN
    assert change["detail"]["links"] == [{"href": "https://ci.test/42", "text": "Build 42"}]
    assert not [e for e in alert(hub, "checkout-slow")["history"] if e["kind"] == "change"]
