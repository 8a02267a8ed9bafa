"""PagerDuty Events API v2: one event per alert of a notification, `trigger` while it fires,
`acknowledge` once acknowledged here, `resolve` when it resolves, all under one `dedup_key` per alert
episode, so PagerDuty's alert follows alerthub's. 202 is accepted; 400 is permanent; 429 and 5xx are
retried by delivery like any channel's."""

from __future__ import annotations

from typing import ClassVar, Literal

import orjson
from pydantic import SecretStr

from alerthub.channels.base import (
    ChannelSettings,
    Pace,
    PageStyle,
    SendResult,
    ThreadStyle,
    redact_url,
    request,
    truncate,
)
from alerthub.channels.http import HttpClient
from alerthub.channels.links import WebUrl, usable_url
from alerthub.channels.message import AlertView, MessageStyle, RenderedMessage
from alerthub.channels.redact import hider
from alerthub.domain.notification import AlertSnapshot
from alerthub.domain.severity import Severity

SUMMARY = 1024  # PagerDuty's limit on payload.summary
DEDUP_KEY = 255
EVENT_BYTES = 512 * 1024  # PagerDuty refuses larger events
SEVERITIES = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}
ACTIONS = {"acknowledged": "acknowledge", "resolved": "resolve"}

Event = dict[str, object]


class PagerDutyChannelConfig(ChannelSettings):
    type: Literal["pagerduty"]
    routing_key: SecretStr
    url: WebUrl = "https://events.pagerduty.com/v2/enqueue"


class PagerDutyChannel:
    kind: ClassVar[str] = "pagerduty"
    config_model: ClassVar[type[ChannelSettings]] = PagerDutyChannelConfig
    # The dedup_key comes from the alert itself, so no provider id needs keeping: every notification
    # carries each alert's state, and the event for that state is what mirrors it.
    threads: ClassVar[ThreadStyle] = "none"
    style: ClassVar[MessageStyle] = MessageStyle()
    pace: ClassVar[Pace] = Pace(2.0, 10)  # about 120 events a minute per integration key
    # One at a time: a resolve that overtook its trigger would be ignored and leave the incident open.
    in_flight: ClassVar[int] = 1
    pages_by: ClassVar[PageStyle] = "none"

    def __init__(self, config: PagerDutyChannelConfig) -> None:
        self.config = config
        self.name = config.name
        self.hide = hider(config)  # no secret of ours leaves in a remote's error text
        self._key = config.routing_key.get_secret_value()

    def describe(self) -> dict[str, str]:
        return {"url": redact_url(self.config.url), "routing_key": "***"}

    async def send(self, message: RenderedMessage, http: HttpClient) -> SendResult:
        batch = self.events(message)
        headers, timeout = {"Content-Type": "application/json"}, self.config.timeout.total_seconds()
        for event in batch:
            body = orjson.dumps(event)
            await request(http, "POST", self.config.url, content=body, headers=headers, seconds=timeout, hide=self.hide)
        keys = " ".join(str(e["dedup_key"]) for e in batch)
        # The bucket counted one send; PagerDuty counts each event, so the rest are paid for by waiting.
        extra = len(batch) - self.pace.burst
        return SendResult(keys if len(keys) <= 300 else None, extra / self.pace.rate if extra > 0 else None)

    def events(self, message: RenderedMessage) -> list[Event]:
        if not message.payload.alerts:  # a test message: prove the key works, and leave nothing open
            key = truncate(message.idempotency_key, DEDUP_KEY)
            trigger = self._trigger(key, message.title, "alerthub", message.severity, {}, None)
            return [trigger, self._bare("resolve", key)]
        views = {v.id: v for v in message.alerts}
        acknowledging = message.payload.reason == "acknowledged"
        return [
            self._event(a, views[a.id], message.payload.external_url)
            for a in message.payload.alerts
            # An acknowledgement notice carries the whole group; only the acknowledged alerts changed.
            if a.id in views and not (acknowledging and a.state != "acknowledged")
        ]

    def _event(self, alert: AlertSnapshot, view: AlertView, external_url: str | None) -> Event:
        key = dedup_key(alert)
        action = ACTIONS.get(alert.state)
        if action is not None:
            return self._bare(action, key)
        summary = view.what + (f" — {view.where}" if view.where else "")
        event = self._trigger(key, summary, view.where or alert.source, view.severity, details(alert), alert)
        pages = (("alerthub", view.alert_url), ("source", view.source_url))
        event["links"] = [{"href": url, "text": text} for text, url in pages if url and usable_url(url)]
        client_url = view.alert_url or external_url
        if usable_url(client_url):
            event["client_url"] = client_url
        return event

    def _trigger(
        self, key: str, summary: str, source: str, severity: Severity, custom: Event, alert: AlertSnapshot | None
    ) -> Event:
        payload: Event = {
            "summary": truncate(summary, SUMMARY),
            "source": truncate(source, SUMMARY) or "alerthub",
            "severity": SEVERITIES[severity],
        }
        if alert is not None:
            payload |= {"timestamp": alert.first_seen, "class": alert.rule_name, "custom_details": custom}
        event: Event = {**self._bare("trigger", key), "payload": payload, "client": "alerthub"}
        if len(orjson.dumps(event)) > EVENT_BYTES and isinstance(custom, dict):
            payload["custom_details"] = {**custom, "annotations": "left out: the event was over PagerDuty's 512 KB"}
        return event

    def _bare(self, action: str, key: str) -> Event:
        return {"routing_key": self._key, "event_action": action, "dedup_key": key}


def dedup_key(alert: AlertSnapshot) -> str:
    """The alert's fingerprint and episode: a late resolve of the last episode, retried after the alert
    fired again, then cannot close the new incident."""
    return truncate(f"{alert.fingerprint}:{alert.episode}", DEDUP_KEY)


def details(alert: AlertSnapshot) -> Event:
    found: Event = {"labels": alert.labels, "annotations": alert.annotations, "count": alert.count}
    if alert.value is not None:
        found["value"] = alert.value
    if alert.threshold is not None:
        found["threshold"] = f"{alert.comparison or ''} {alert.threshold:g}".strip()
    return found
