"""Sentry's webhooks: the Integration Platform (dispatched on `Sentry-Hook-Resource`) and the legacy
per-project WebHooks plugin, and `integrations.sentry` (shared with the poller). This module reads the
formats; sentry_webhook.py authenticates a request and chooses the format.

What becomes what (see docs/sources-webhooks.md):
* `issue.created` / `issue.unresolved`, `event_alert.triggered`, `error.created`, a legacy plugin post
  -> `sentry_issue` firing for (project, issue_id), severity from the Sentry level;
* `issue.resolved` / `issue.ignored` / `issue.archived` -> that issue's alert resolved;
* `metric_alert.critical|warning` -> `sentry_metric_alert` firing at that severity, `resolved` -> resolved;
* everything else (comments, installations, Seer, assignments) is accepted and ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr

from alerthub.config.durations import Duration
from alerthub.config.models import Strict
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.errors import InputError, Problem
from alerthub.sources.contracts import Parsed, Settings
from alerthub.sources.sentry_payloads import (
    Envelope,
    ErrorData,
    Event,
    EventAlertData,
    IssueData,
    LegacyBody,
    LegacyEvent,
    MetricAlertData,
)
from alerthub.validation import validate

SOURCE = "sentry"
ISSUE_RULE = "sentry_issue"
METRIC_RULE = "sentry_metric_alert"

# Resources Sentry sends that say nothing about whether something is broken.
IGNORED_RESOURCES = frozenset({"comment", "installation", "seer", "preprod_artifact", "activity_alert"})

_ISSUE_STATUS = {
    "created": SignalStatus.FIRING,
    # Escalating issues arrive as `unresolved`: a reopened issue pages again.
    "unresolved": SignalStatus.FIRING,
    "resolved": SignalStatus.RESOLVED,
    # Ignoring (archiving) an issue in Sentry is a person deciding it needs no attention; if it
    # escalates, Sentry sends `unresolved` and the alert reopens.
    "ignored": SignalStatus.RESOLVED,
    "archived": SignalStatus.RESOLVED,
}
_METRIC_SEVERITY = {"critical": Severity.CRITICAL, "warning": Severity.WARNING, "open": None}
_PROJECT_IN_URL = re.compile(r"/projects/(?P<org>[^/]+)/(?P<project>[^/]+)/events/")
_ORG_IN_URL = re.compile(r"/organizations/(?P<org>[^/]+)/")
_SAAS_HOSTS = ("sentry.io", "de.sentry.io", "us.sentry.io")


class SentryConfig(Strict):
    webhook_secret: SecretStr | None = None
    webhook_token: SecretStr | None = None
    api_token: SecretStr | None = None
    org: str | None = None
    projects: list[str] = Field(default_factory=list)
    base_url: str = "https://sentry.io"
    poll_interval: Duration = timedelta(minutes=5)
    expect_every: Duration | None = None


SETTINGS = Settings("sentry", SentryConfig)


@dataclass(frozen=True, slots=True)
class SentryLinks:
    """Webhook issues carry `permalink: null` and never the org slug: links are built from config."""

    org: str | None
    base_url: str = "https://sentry.io"

    def issue_url(self, issue_id: str, org: str | None = None) -> str | None:
        org = org or self.org
        if not org:
            return None
        host = urlsplit(self.base_url).hostname or ""
        if host in _SAAS_HOSTS:
            return f"https://{org}.sentry.io/issues/{issue_id}/"
        return f"{self.base_url.rstrip('/')}/organizations/{org}/issues/{issue_id}/"


def is_platform_body(data: Any) -> bool:
    """Integration Platform bodies are `{"action", "installation", "data", ...}`; the plugin's are not."""
    return isinstance(data, dict) and "action" in data and "installation" in data


def parse_platform(resource: str, data: Any, links: SentryLinks) -> Parsed:
    envelope = validate(Envelope, data)
    action = envelope.action
    if resource == "issue":
        return _issue(action, envelope.data, data, links)
    if resource == "event_alert":
        if action != "triggered":
            return Parsed((), f"event_alert.{action} is not an alert trigger")
        body = validate(EventAlertData, envelope.data, root="body.data")
        return Parsed((_event_signal(body.event, data, links, body.triggered_rule),))
    if resource == "error":
        if action != "created":
            return Parsed((), f"error.{action} carries no new error")
        return Parsed((_event_signal(validate(ErrorData, envelope.data, root="body.data").error, data, links),))
    if resource == "metric_alert":
        return _metric(action, validate(MetricAlertData, envelope.data, root="body.data"), data)
    if resource in IGNORED_RESOURCES:
        return Parsed((), f"{resource}.{action} is not about something failing")
    return Parsed((), f"unknown resource {resource!r}")


def parse_legacy(data: Any, links: SentryLinks) -> Parsed:
    if not isinstance(data, dict):
        raise InputError("the body must be a JSON object", [Problem("body", "must be an object")])
    body = validate(LegacyBody, data)
    project = body.project_slug or body.project
    if not project:
        raise InputError("the WebHooks plugin body names no project", [Problem("body.project_slug", "missing")])
    event = body.event or LegacyEvent()
    title = event.title or body.message or body.culprit or f"Sentry issue {body.id}"
    annotations = {
        "summary": title,
        "title": title,
        "culprit": body.culprit,
        "level": body.level,
        "url": body.url or links.issue_url(body.id),
        "project_name": body.project_name,
        "event_id": event.event_id,
        "environment": event.environment,
        "rule": ", ".join(body.triggering_rules),
    }
    return Parsed((_issue_signal(project, body.id, annotations, SignalStatus.FIRING, body.level, None, data),))


def _issue(action: str, payload: dict[str, Any], raw: Any, links: SentryLinks) -> Parsed:
    status = _ISSUE_STATUS.get(action)
    if status is None:
        return Parsed((), f"issue.{action} does not change whether the issue needs attention")
    issue = validate(IssueData, payload, root="body.data").issue
    annotations = {
        "summary": issue.title,
        "title": issue.title,
        "culprit": issue.culprit,
        "level": issue.level,
        "count": issue.count,
        "short_id": issue.shortId,
        "project_name": issue.project.name,
        "url": issue.web_url or issue.permalink or links.issue_url(issue.id),
    }
    value = float(issue.count) if issue.count and issue.count.isdigit() else None
    return Parsed((_issue_signal(issue.project.slug, issue.id, annotations, status, issue.level, value, raw),))


def _event_signal(event: Event, raw: Any, links: SentryLinks, rule: str | None = None) -> Signal:
    in_url = _PROJECT_IN_URL.search(event.url or "")
    # Event payloads name the project by numeric id only; its slug is in the API url's path.
    project = in_url["project"] if in_url else event.project or "unknown"
    org_match = _ORG_IN_URL.search(event.web_url or "")
    org = in_url["org"] if in_url else org_match["org"] if org_match else None
    title = event.title or event.culprit or f"Sentry issue {event.issue_id}"
    annotations = {
        "summary": title,
        "title": title,
        "culprit": event.culprit,
        "level": event.level,
        "url": event.web_url or links.issue_url(event.issue_id, org),
        "event_id": event.event_id,
        "environment": event.environment,
        "release": event.release,
        "rule": rule,
    }
    return _issue_signal(project, event.issue_id, annotations, SignalStatus.FIRING, event.level, None, raw)


def _issue_signal(
    project: str,
    issue_id: str,
    annotations: dict[str, str | None],
    status: SignalStatus,
    level: str | None,
    value: float | None,
    raw: Any,
) -> Signal:
    return Signal(
        rule_name=ISSUE_RULE,
        source=SOURCE,
        value=value,
        labels={"project": project, "issue_id": issue_id},
        annotations=_present(annotations),
        status=status,
        severity=Severity.parse(level) if status is SignalStatus.FIRING else None,
        raw=raw,
    )


def _metric(action: str, body: MetricAlertData, raw: Any) -> Parsed:
    if action != "resolved" and action not in _METRIC_SEVERITY:
        return Parsed((), f"metric_alert.{action} is not a trigger state")
    incident = body.metric_alert
    rule = incident.alert_rule
    labels = {"alert_rule_id": rule.id, "incident": incident.identifier or incident.id}
    if incident.projects:
        labels["project"] = ",".join(incident.projects)
    title = body.description_title or f"{action.capitalize()}: {rule.name or incident.title or 'metric alert'}"
    annotations = {
        "summary": title,
        "title": title,
        # The docs' example carries a literal backslash-n where a line break is meant.
        "description": body.description_text.replace("\\n", "\n") if body.description_text else None,
        "url": body.web_url,
        "rule": rule.name,
        "aggregate": rule.aggregate,
        "query": rule.query,
        "time_window": f"{rule.time_window:g}m" if rule.time_window is not None else None,
    }
    signal = Signal(
        rule_name=METRIC_RULE,
        source=SOURCE,
        labels=labels,
        annotations=_present(annotations),
        status=SignalStatus.RESOLVED if action == "resolved" else SignalStatus.FIRING,
        severity=_METRIC_SEVERITY.get(action),
        # One incident is one alert, whatever projects it spans; its severity may move within it.
        identity=("alert_rule_id", "incident"),
        raw=raw,
    )
    return Parsed((signal,))


def _present(values: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v}
