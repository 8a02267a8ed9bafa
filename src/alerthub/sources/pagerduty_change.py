"""PagerDuty change events (`POST /v2/change/enqueue`): a deploy, a configuration push, a build. They raise
no alert; they are context, shown on the timeline of the open alerts they concern (services/changes.py).

A change concerns the open alerts that carry every label its routing key maps to
(`integrations.pagerduty.routing_keys[]`), and those whose `service` label is the change's
`payload.source`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from alerthub.sources.pagerduty import Image, Link, Text, valid_event
from alerthub.sources.pagerduty_settings import MAX_KEY, NO_KEYS, RoutingKeys

SERVICE_LABEL = "service"


class ChangePayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    summary: Text
    source: Text | None = None
    timestamp: AwareDatetime | None = None
    custom_details: Any = None


class ChangeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    routing_key: Annotated[StrictStr, Field(min_length=1, max_length=MAX_KEY)]
    payload: ChangePayload
    links: list[Link] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Change:
    """One change, as the history records it. `selectors` are the label sets an open alert may carry to be
    concerned (any one of them, all its labels); `detail` is what the sender said, for the timeline."""

    summary: str
    source: str | None
    changed_at: datetime | None
    selectors: tuple[dict[str, str], ...]
    detail: dict[str, Any]


def parse_change(data: Any, keys: RoutingKeys = NO_KEYS) -> Change:
    event = valid_event(ChangeEvent, data)
    payload = event.payload
    selectors = [keys.labels(event.routing_key)]
    if payload.source:
        selectors.append({SERVICE_LABEL: payload.source})
    detail: dict[str, Any] = {"source": payload.source, "custom_details": payload.custom_details}
    if payload.timestamp is not None:
        detail["timestamp"] = payload.timestamp.isoformat()
    detail["links"] = [link.model_dump(exclude_none=True) for link in event.links]
    detail["images"] = [image.model_dump(exclude_none=True) for image in event.images]
    return Change(
        summary=payload.summary,
        source=payload.source,
        changed_at=payload.timestamp,
        selectors=tuple(s for s in selectors if s),
        detail={k: v for k, v in detail.items() if v not in (None, [])},
    )
