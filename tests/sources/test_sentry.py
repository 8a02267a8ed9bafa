"""Sentry's formats read without a database: what each payload becomes, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from alerthub.domain.severity import Severity
from alerthub.domain.signal import SignalStatus
from alerthub.errors import InputError
from alerthub.sources import sentry
from alerthub.sources.sentry import SentryLinks
from support.webhooks import fixture

LINKS = SentryLinks(org="acme")


def platform(name: str, **changes: Any) -> sentry.Parsed:
    data = fixture("sentry", name) | changes
    return sentry.parse_platform(name.split(".", 1)[0], data, LINKS)


def test_issue_created_becomes_a_sentry_issue_signal() -> None:
    [signal] = platform("issue.created.json").signals
    assert (signal.rule_name, signal.source, signal.status) == ("sentry_issue", "sentry", SignalStatus.FIRING)
    assert signal.labels == {"project": "front-end", "issue_id": "1170820242"}
    assert signal.severity is Severity.HIGH
    assert signal.value == 1.0  # `count` is the string "1"
    assert signal.annotations["short_id"] == "FRONT-END-9"
    assert signal.annotations["url"] == "https://acme.sentry.io/issues/1170820242/"


@pytest.mark.parametrize(
    ("action", "status"),
    [("resolved", SignalStatus.RESOLVED), ("ignored", SignalStatus.RESOLVED), ("archived", SignalStatus.RESOLVED),
     ("unresolved", SignalStatus.FIRING)],
)  # fmt: skip
def test_issue_actions_map_to_a_status(action: str, status: SignalStatus) -> None:
    [signal] = platform("issue.resolved.json", action=action).signals
    assert signal.status is status
    assert signal.labels == {"project": "zulip-integration-testing", "issue_id": "1638821441"}
    # Only a firing signal sets the level: resolving must not rewrite the alert's severity.
    assert signal.severity is (Severity.HIGH if status is SignalStatus.FIRING else None)


def test_issue_assigned_is_ignored_with_a_reason() -> None:
    parsed = platform("issue.assigned.json")
    assert parsed.signals == ()
    assert parsed.ignored and "issue.assigned" in parsed.ignored


def test_event_alert_reads_the_project_slug_from_the_event_url() -> None:
    [signal] = platform("event_alert.triggered.json").signals
    assert signal.labels == {"project": "front-end", "issue_id": "1117540176"}
    assert signal.annotations["rule"] == "Very Important Alert Rule!"
    assert signal.annotations["event_id"] == "e4874d664c3540c1a32eab185f12c5ab"


def test_an_event_without_urls_falls_back_to_the_numeric_project_and_built_link() -> None:
    data = fixture("sentry", "error.created.json")
    for key in ("url", "web_url"):
        del data["data"]["error"][key]
    [signal] = sentry.parse_platform("error", data, LINKS).signals
    assert signal.labels == {"project": "1", "issue_id": "1170820242"}
    assert signal.annotations["url"] == "https://acme.sentry.io/issues/1170820242/"


def test_metric_alert_identity_is_the_rule_and_incident() -> None:
    [critical] = platform("metric_alert.resolved.json", action="critical").signals
    assert (critical.rule_name, critical.severity, critical.status) == (
        "sentry_metric_alert", Severity.CRITICAL, SignalStatus.FIRING,
    )  # fmt: skip
    assert critical.labels == {"alert_rule_id": "7", "incident": "1", "project": "bar"}
    assert critical.identity == ("alert_rule_id", "incident")
    assert critical.annotations["description"] == "1000 events in the last 10 minutes\nFilter: level:error"
    assert critical.annotations["time_window"] == "10m"
    [warning] = platform("metric_alert.resolved.json", action="warning").signals
    assert warning.severity is Severity.WARNING
    [resolved] = platform("metric_alert.resolved.json").signals
    assert resolved.status is SignalStatus.RESOLVED


def test_the_example_apps_critical_mock_without_identifier_uses_the_incident_id() -> None:
    [signal] = platform("metric_alert.critical.json").signals
    assert signal.labels == {"alert_rule_id": "456", "incident": "789"}
    assert signal.annotations["summary"] == "Critical: metric alert"


@pytest.mark.parametrize("name", ["comment.created.json", "installation.created.json", "seer.pr_created.json"])
def test_resources_about_nothing_failing_are_ignored(name: str) -> None:
    assert platform(name).signals == ()


def test_legacy_plugin_body() -> None:
    data = fixture("sentry", "legacy_webhook_plugin.json")
    assert not sentry.is_platform_body(data)
    [signal] = sentry.parse_legacy(data, LINKS).signals
    assert signal.labels == {"project": "foo-live", "issue_id": "1972208801"}
    assert signal.annotations["title"] == "ValueError: new sentry error."
    assert signal.severity is Severity.HIGH


def test_platform_bodies_are_told_apart_from_plugin_bodies() -> None:
    assert sentry.is_platform_body(fixture("sentry", "issue.created.json"))
    assert not sentry.is_platform_body([])


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"id": "1"}, "body.project_slug"),
        ({"project": "p"}, "body.id"),
        ({"id": True, "project": "p"}, "body.id"),
        ("text", "body"),
    ],
)
def test_bad_legacy_bodies_name_the_place(data: Any, loc: str) -> None:
    with pytest.raises(InputError) as raised:
        sentry.parse_legacy(data, LINKS)
    assert loc in [p.location for p in raised.value.problems]


@pytest.mark.parametrize(
    ("org", "base_url", "url"),
    [
        ("acme", "https://sentry.io", "https://acme.sentry.io/issues/5/"),
        ("acme", "https://de.sentry.io", "https://acme.sentry.io/issues/5/"),
        ("acme", "https://sentry.internal/", "https://sentry.internal/organizations/acme/issues/5/"),
        (None, "https://sentry.io", None),
    ],
)
def test_issue_links_for_saas_and_self_hosted(org: str | None, base_url: str, url: str | None) -> None:
    assert SentryLinks(org, base_url).issue_url("5") == url
