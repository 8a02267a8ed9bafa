"""A signed JSON webhook in Alertmanager's webhook v4 shape, so receivers written for Alertmanager
work unchanged. With a `secret`, `X-Alerthub-Signature: sha256=<hex>` is the HMAC-SHA256 of the
exact body bytes; `Idempotency-Key` lets a receiver recognise a retry after an unknown outcome."""

from __future__ import annotations

import hashlib
import hmac
from typing import ClassVar, Literal

import orjson
from pydantic import Field, SecretStr

from alerthub.channels.base import ChannelSettings, Pace, PageStyle, SendResult, ThreadStyle, redact_url, request
from alerthub.channels.http import HttpClient
from alerthub.channels.links import SecretWebUrl
from alerthub.channels.message import MessageStyle, RenderedMessage
from alerthub.channels.redact import hider
from alerthub.domain.notification import AlertSnapshot, NotificationPayload

ZERO_TIME = "0001-01-01T00:00:00Z"
SIGNATURE_HEADER = "X-Alerthub-Signature"


class WebhookChannelConfig(ChannelSettings):
    type: Literal["webhook"]
    url: SecretWebUrl
    secret: SecretStr | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class WebhookChannel:
    kind: ClassVar[str] = "webhook"
    config_model: ClassVar[type[ChannelSettings]] = WebhookChannelConfig
    threads: ClassVar[ThreadStyle] = "none"
    style: ClassVar[MessageStyle] = MessageStyle()
    pace: ClassVar[Pace] = Pace(5.0, 10)
    # A webhook's answer carries no budget nor thread id, so sends may overlap; 32 hide a remote
    # receiver's round trip at a few hundred notifications a second.
    in_flight: ClassVar[int] = 32
    pages_by: ClassVar[PageStyle] = "none"

    def __init__(self, config: WebhookChannelConfig) -> None:
        self.config = config
        self.name = config.name
        self._hide = hider(config)  # no secret of ours leaves in a remote's error text
        self._url = config.url.get_secret_value()

    def describe(self) -> dict[str, str]:
        shown = {"url": redact_url(self._url), "signed": "yes" if self.config.secret else "no"}
        if self.config.headers:
            shown["headers"] = ", ".join(sorted(self.config.headers))
        return shown

    async def send(self, message: RenderedMessage, http: HttpClient) -> SendResult:
        content = orjson.dumps(alertmanager_body(message.payload, message.title, message.body))
        headers = {
            **self.config.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": message.idempotency_key,
        }
        if self.config.secret is not None:
            headers[SIGNATURE_HEADER] = "sha256=" + sign(self.config.secret.get_secret_value(), content)
        await request(http, "POST", self._url, content=content, headers=headers, seconds=self._timeout, hide=self._hide)
        return SendResult(None)

    @property
    def _timeout(self) -> float:
        return self.config.timeout.total_seconds()


def sign(secret: str, content: bytes) -> str:
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()


def alertmanager_body(payload: NotificationPayload, title: str, text: str) -> dict[str, object]:
    return {
        "version": "4",
        "groupKey": payload.group_key,
        "truncatedAlerts": 0,
        "status": payload.status,
        "receiver": payload.receiver,
        "groupLabels": payload.group_labels,
        "commonLabels": payload.common_labels,
        "commonAnnotations": payload.common_annotations,
        "externalURL": payload.external_url or "",
        "notification_reason": payload.reason,
        "alerts": [_alert(a) for a in payload.alerts],
        # Ours, after Alertmanager's keys: the rendered message, for receivers that just display it.
        "title": title,
        "message": text,
        "fallbackFrom": payload.fallback_from,
    }


def _alert(a: AlertSnapshot) -> dict[str, object]:
    return {
        "status": "resolved" if a.state == "resolved" else "firing",
        "labels": {"alertname": a.rule_name, "severity": a.severity, **a.labels},
        "annotations": a.annotations,
        "startsAt": a.first_seen,
        "endsAt": a.resolved_at or ZERO_TIME,
        "generatorURL": a.annotations.get("url") or a.url or "",
        "fingerprint": a.fingerprint,
        "value": a.value,
        "state": a.state,
        "count": a.count,
        "id": a.id,
    }
