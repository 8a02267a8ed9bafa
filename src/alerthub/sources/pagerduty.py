"""PagerDuty Events API v2 (`POST /v2/enqueue`): trigger, acknowledge and resolve by `dedup_key`,
so any PagerDuty client (Uptime Kuma, scripts, libraries) can point here unchanged."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr, model_validator

from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.ingest.validation import validate

RULE_NAME = "pagerduty"
Text = Annotated[StrictStr, Field(min_length=1, max_length=1024)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    summary: Text
    source: Text
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: AwareDatetime | None = None
    component: StrictStr | None = None
    group: StrictStr | None = None
    class_: StrictStr | None = Field(None, alias="class")
    custom_details: Any = None


class Link(BaseModel):
    href: StrictStr
    text: StrictStr | None = None


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    routing_key: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: Annotated[StrictStr, Field(min_length=1, max_length=255)] | None = None
    payload: Payload | None = None
    links: list[Link] = Field(default_factory=list)
    client: StrictStr | None = None
    client_url: StrictStr | None = None

    @model_validator(mode="after")
    def _check(self) -> Event:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("payload is required for event_action trigger")
        if self.event_action != "trigger" and not self.dedup_key:
            raise ValueError(f"dedup_key is required for event_action {self.event_action}")
        return self


def parse_event(data: Any) -> Signal:
    event = validate(Event, data)
    dedup_key = event.dedup_key or uuid.uuid4().hex
    labels = {"dedup_key": dedup_key}
    annotations: dict[str, str] = {}
    severity = None
    if event.payload is not None:
        p = event.payload
        labels["source"] = p.source
        for name, value in (("component", p.component), ("group", p.group), ("class", p.class_)):
            if value:
                labels[name] = value
        annotations["summary"] = p.summary
        if p.custom_details is not None:
            annotations["details"] = orjson.dumps(p.custom_details).decode()
        severity = Severity.parse(p.severity)
    if event.links:
        annotations["url"] = event.links[0].href
    if event.client_url:
        annotations["client_url"] = event.client_url
    status = {"trigger": SignalStatus.FIRING, "acknowledge": SignalStatus.ACKNOWLEDGED}.get(
        event.event_action, SignalStatus.RESOLVED
    )
    return Signal(
        rule_name=RULE_NAME,
        source="pagerduty",
        labels=labels,
        annotations=annotations,
        status=status,
        severity=severity,
        identity=("dedup_key",),
        raw=data,
    )
