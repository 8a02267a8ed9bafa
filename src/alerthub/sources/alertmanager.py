"""Prometheus Alertmanager's formats: the postable-alerts array of `POST /api/v2/alerts`, and the
webhook v4 body an existing Alertmanager or Grafana sends to a receiver.

Identity is the whole label set, as in Alertmanager; `endsAt` in the past means resolved.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.errors import InputError, Problem
from alerthub.validation import Timestamp, validate

LabelName = Annotated[StrictStr, Field(min_length=1, max_length=128)]
# Alertmanager's zero time marks "no end" in webhook bodies.
_ZERO_YEAR = 1
# Alertmanager's default `resolve_timeout`: an alert posted without endsAt that is not re-sent resolves.
RESOLVE_TIMEOUT = timedelta(minutes=5)


class PostableAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    labels: dict[LabelName, StrictStr] = Field(min_length=1)
    annotations: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    startsAt: Timestamp | None = None
    endsAt: Timestamp | None = None
    generatorURL: StrictStr | None = None
    status: Literal["firing", "resolved"] | None = None

    @model_validator(mode="after")
    def _check(self) -> PostableAlert:
        if "alertname" not in self.labels or not self.labels["alertname"]:
            raise ValueError("labels.alertname is required")
        if self.startsAt and self.endsAt and self.endsAt.year > _ZERO_YEAR and self.endsAt < self.startsAt:
            raise ValueError("endsAt must not be before startsAt")
        return self


class WebhookV4(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: StrictStr | None = None
    status: Literal["firing", "resolved"] | None = None
    receiver: StrictStr | None = None
    externalURL: StrictStr | None = None
    alerts: list[PostableAlert] = Field(min_length=1)


def parse_postable(data: Any, now: datetime, *, max_alerts: int) -> list[Signal]:
    if not isinstance(data, list):
        raise InputError("the body must be a JSON array of alerts", [Problem("body", "must be an array")])
    _check_count(len(data), max_alerts)
    alerts = [validate(PostableAlert, item, root=f"body[{i}]") for i, item in enumerate(data)]
    return [
        to_signal(a, raw, now, "alertmanager", default_end=now + RESOLVE_TIMEOUT)
        for a, raw in zip(alerts, data, strict=True)
    ]


def parse_webhook(data: Any, now: datetime, *, max_alerts: int) -> list[Signal]:
    body = validate(WebhookV4, data)
    _check_count(len(body.alerts), max_alerts)
    raws = data["alerts"]
    return [to_signal(a, raw, now, "alertmanager-webhook") for a, raw in zip(body.alerts, raws, strict=True)]


def to_signal(
    alert: PostableAlert, raw: Any, now: datetime, source: str, default_end: datetime | None = None
) -> Signal:
    ends_at = alert.endsAt if alert.endsAt and alert.endsAt.year > _ZERO_YEAR else default_end
    resolved = alert.status == "resolved" or (ends_at is not None and ends_at <= now)
    annotations = dict(alert.annotations)
    if alert.generatorURL:
        annotations.setdefault("generator_url", alert.generatorURL)
    return Signal(
        rule_name=alert.labels["alertname"],
        source=source,
        labels=dict(alert.labels),
        annotations=annotations,
        status=SignalStatus.RESOLVED if resolved else SignalStatus.FIRING,
        severity=Severity.parse(alert.labels.get("severity")),
        observed_at=(alert.startsAt or now).astimezone(UTC),
        ends_at=ends_at,
        raw=raw,
    )


def _check_count(count: int, max_alerts: int) -> None:
    if count > max_alerts:
        raise InputError(
            f"too many alerts in one request: {count} > {max_alerts}",
            [Problem("body", f"at most {max_alerts} alerts per request")],
            413,
        )
