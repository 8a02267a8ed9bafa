from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

import httpx
import pytest

from alerthub.channels.webhook import WebhookChannel, WebhookChannelConfig
from alerthub.delivery.compose import render
from alerthub.errors import DeliveryError
from support.channel_samples import payload, snapshot
from support.standins import Receiver


def channel(url: str, **extra: object) -> tuple[WebhookChannel, WebhookChannelConfig]:
    cfg = WebhookChannelConfig.model_validate({"name": "hook", "type": "webhook", "url": url, **extra})
    return WebhookChannel(cfg), cfg


async def test_alertmanager_v4_shape_signed_with_idempotency_key(receiver: Receiver, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(receiver.base_url + "/hook", secret="s3cret", headers={"X-Team": "web"})
    await ch.send(render(payload(), cfg, idempotency_key="key-1"), http)
    request = receiver.requests[0]
    body = request.json()
    assert body["version"] == "4" and body["status"] == "firing" and body["receiver"] == "ops"
    assert body["notification_reason"] == "first notification"
    [alert] = body["alerts"]
    assert alert["labels"]["alertname"] == "system_cpu_high" and alert["labels"]["host"] == "web-1"
    assert alert["startsAt"] == "2026-11-27T09:00:00Z" and alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert alert["fingerprint"] == "fp7"
    expected = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Alerthub-Signature"] == f"sha256={expected}"
    assert request.headers["Idempotency-Key"] == "key-1"
    assert request.headers["X-Team"] == "web"


async def test_resolved_alert_carries_ends_at(receiver: Receiver, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(receiver.base_url + "/hook")
    resolved = replace(snapshot(state="resolved"), resolved_at="2026-11-27T10:00:00Z")
    await ch.send(render(payload(resolved, status="resolved"), cfg), http)
    body = receiver.requests[0].json()
    assert body["status"] == "resolved" and body["alerts"][0]["status"] == "resolved"
    assert body["alerts"][0]["endsAt"] == "2026-11-27T10:00:00Z"
    assert "X-Alerthub-Signature" not in receiver.requests[0].headers


async def test_a_group_sent_again_shows_each_alert_as_its_snapshot_says(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    """One channel sends a growing group again and again: an unchanged alert reads as before, a changed
    one (a new snapshot) as it is now."""
    ch, cfg = channel(receiver.base_url + "/hook")
    firing = snapshot()
    joined = replace(firing, id=8, fingerprint="fp8", labels={"host": "web-2"})
    resolved = replace(firing, state="resolved", resolved_at="2026-11-27T10:00:00Z")
    for alerts in ((firing,), (firing, joined), (resolved, joined)):
        await ch.send(render(payload(*alerts), cfg), http)
    first, grown, changed = (r.json()["alerts"] for r in receiver.requests)
    assert grown[0] == first[0] and grown[1]["labels"]["host"] == "web-2"
    assert (changed[0]["status"], changed[0]["endsAt"]) == ("resolved", "2026-11-27T10:00:00Z")
    assert changed[1] == grown[1]


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (408, True), (400, False), (410, False)])
async def test_status_classification(status: int, retryable: bool, http: httpx.AsyncClient) -> None:
    server = Receiver(status)
    try:
        ch, cfg = channel(server.base_url + "/hook")
        with pytest.raises(DeliveryError) as caught:
            await ch.send(render(payload(), cfg), http)
        assert caught.value.retryable is retryable and caught.value.status == status
    finally:
        server.close()
