"""PagerDuty Events API v2 (`POST /v2/enqueue`): trigger, acknowledge and resolve by `dedup_key`,
so any PagerDuty client (Uptime Kuma, scripts, libraries) can point here unchanged.

An event that does not validate is refused as PagerDuty refuses it: 400 "Event object is invalid", each
problem named. The routing key's labels (`integrations.pagerduty.routing_keys[]`, pagerduty_settings.py)
are added; `links` and `images` are kept as annotations (JSON lists; the first link is also `url`); the
routing key itself, a credential once access control is on, is never kept in the alert's raw payload.
Change events (`POST /v2/change/enqueue`) are read by pagerduty_change.py."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.errors import InputError
from alerthub.sources.pagerduty_settings import NO_KEYS, RoutingKeys
from alerthub.validation import Timestamp, validate

RULE_NAME = "pagerduty"
Text = Annotated[StrictStr, Field(min_length=1, max_length=1024)]
Label = Annotated[StrictStr, Field(max_length=1024)]
INVALID = "Event object is invalid"  # PagerDuty's message for a 400
MASKED = "<secret>"  # what the stored raw payload shows instead of the routing key
M = TypeVar("M", bound=BaseModel)


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    summary: Text
    source: Text
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: Timestamp | None = None
    component: Label | None = None
    group: Label | None = None
    class_: Label | None = Field(None, alias="class")
    custom_details: Any = None


class Link(BaseModel):
    href: StrictStr
    text: StrictStr | None = None


class Image(BaseModel):
    src: StrictStr
    href: StrictStr | None = None
    alt: StrictStr | None = None


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    routing_key: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: Annotated[StrictStr, Field(min_length=1, max_length=255)] | None = None
    payload: Payload | None = None
    links: list[Link] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    client: StrictStr | None = None
    client_url: StrictStr | None = None

    @model_validator(mode="after")
    def _check(self) -> Event:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("payload is required for event_action trigger")
        if self.event_action != "trigger" and not self.dedup_key:
            raise ValueError(f"dedup_key is required for event_action {self.event_action}")
        return self


def parse_event(data: Any, keys: RoutingKeys = NO_KEYS) -> Signal:
    event = valid_event(Event, data)
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
    annotations |= attachments(event.links, event.images)
    status = {"trigger": SignalStatus.FIRING, "acknowledge": SignalStatus.ACKNOWLEDGED}.get(
        event.event_action, SignalStatus.RESOLVED
    )
    signal = Signal(
        rule_name=RULE_NAME,
        source="pagerduty",
        labels=labels,
        annotations=annotations,
        status=status,
        severity=severity,
        identity=("dedup_key",),
        raw=data,
    )
    return routed(signal, event.routing_key, keys)


def valid_event(model: type[M], data: Any) -> M:
    """What does not validate is PagerDuty's 400, not the 422 of alerthub's own bodies."""
    try:
        return validate(model, data)
    except InputError as exc:
        raise InputError(INVALID, exc.problems, 400) from None


def routed(signal: Signal, routing_key: str, keys: RoutingKeys) -> Signal:
    """The key's labels added (they win over the event's own), and the key masked in the raw payload."""
    return replace(signal, labels={**signal.labels, **keys.labels(routing_key)}, raw=masked(signal.raw))


def masked(raw: Any) -> Any:
    return {**raw, "routing_key": MASKED} if isinstance(raw, dict) and "routing_key" in raw else raw


def attachments(links: list[Link], images: list[Image]) -> dict[str, str]:
    """`links` and `images` as JSON lists (annotations are text), without the fields nobody sent."""
    kept = {"links": [link.model_dump(exclude_none=True) for link in links]}
    kept["images"] = [image.model_dump(exclude_none=True) for image in images]
    return {name: orjson.dumps(items).decode() for name, items in kept.items() if items}
