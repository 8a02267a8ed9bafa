"""The parts of Sentry's webhook bodies the hub reads (pydantic, unknown keys ignored).

Ids arrive as strings in issue payloads and as numbers elsewhere; both are read as text.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat, StrictInt, StrictStr


def _id_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


IdText = Annotated[StrictStr, BeforeValidator(_id_text), Field(min_length=1, max_length=200)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Project(_Model):
    slug: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    name: StrictStr | None = None


class Issue(_Model):
    id: IdText
    title: StrictStr = ""
    culprit: StrictStr | None = None
    level: StrictStr | None = None
    count: IdText | None = None
    shortId: StrictStr | None = None
    web_url: StrictStr | None = None
    permalink: StrictStr | None = None
    project: Project


class IssueData(_Model):
    issue: Issue


class Event(_Model):
    issue_id: IdText
    title: StrictStr = ""
    culprit: StrictStr | None = None
    level: StrictStr | None = None
    web_url: StrictStr | None = None
    url: StrictStr | None = None
    project: IdText | None = None
    event_id: StrictStr | None = None
    environment: StrictStr | None = None
    release: StrictStr | None = None


class EventAlertData(_Model):
    event: Event
    triggered_rule: StrictStr | None = None


class ErrorData(_Model):
    error: Event


class AlertRule(_Model):
    id: IdText
    name: StrictStr = ""
    aggregate: StrictStr | None = None
    query: StrictStr | None = None
    time_window: StrictInt | StrictFloat | None = None


class MetricAlert(_Model):
    id: IdText
    identifier: IdText | None = None
    title: StrictStr | None = None
    projects: list[StrictStr] = Field(default_factory=list)
    alert_rule: AlertRule


class MetricAlertData(_Model):
    metric_alert: MetricAlert
    description_title: StrictStr | None = None
    description_text: StrictStr | None = None
    web_url: StrictStr | None = None


class Envelope(_Model):
    action: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    data: dict[str, Any]


class LegacyEvent(_Model):
    title: StrictStr | None = None
    event_id: StrictStr | None = None
    environment: StrictStr | None = None


class LegacyBody(_Model):
    id: IdText
    project: IdText | None = None
    project_slug: StrictStr | None = None
    project_name: StrictStr | None = None
    culprit: StrictStr | None = None
    level: StrictStr | None = None
    message: StrictStr | None = None
    url: StrictStr | None = None
    triggering_rules: list[StrictStr] = Field(default_factory=list)
    event: LegacyEvent | None = None
