"""Alert snapshots to what a responder reads first: severity, what, where, value against threshold,
since when, how often, links. Pure; the templates and channels lay these out."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from alerthub.channels.links import usable_url
from alerthub.channels.message import AlertView, Link
from alerthub.domain.labels import where_label
from alerthub.domain.notification import AlertSnapshot, NotificationPayload
from alerthub.domain.severity import Severity
from alerthub.domain.summaries import translate

# The seed's monitors send `issue_url` (Sentry) and `dashboard_url`; the first one found is the Source link.
LINK_ANNOTATIONS = (
    "url",
    "permalink",
    "web_url",
    "issue_url",
    "generatorURL",
    "generator_url",
    "monitor_url",
    "dashboard_url",
)
# Prometheus rules say `runbook_url`; other senders `runbook`. A rule's `runbook_url` arrives as the first.
RUNBOOK_ANNOTATIONS = ("runbook_url", "runbook")


def message_status(payload: NotificationPayload) -> str:
    if (
        payload.status == "acknowledged"
        or payload.reason == "acknowledged"
        or (payload.alerts and all(a.state == "acknowledged" for a in payload.alerts))
    ):
        return "acknowledged"
    return "resolved" if payload.status == "resolved" else "firing"


def top_severity(payload: NotificationPayload) -> Severity:
    open_ = [a for a in payload.alerts if a.state != "resolved"] or list(payload.alerts)
    found = [Severity.parse(a.severity, Severity.WARNING) or Severity.WARNING for a in open_]
    return max(found, key=lambda s: s.rank) if found else Severity.INFO


def alert_view(
    a: AlertSnapshot,
    t: dict[str, str],
    external_url: str | None,
    language: str = "en",
    zone: tzinfo = UTC,
    actions: tuple[Link, ...] = (),
) -> AlertView:
    severity = Severity.parse(a.severity, Severity.WARNING) or Severity.WARNING
    # Our sources' summaries are stored in English; a Korean channel says them in Korean.
    what = translate(a.annotations.get("summary") or a.rule_name, language)
    where = where_label(a.labels)
    alert_url = _alert_url(a, external_url)
    source_url = next((a.annotations[k] for k in LINK_ANNOTATIONS if web_url(a.annotations.get(k))), None)
    if source_url is None and web_url(a.url) and a.url != alert_url:
        source_url = a.url
    runbook_url = next((a.annotations[k] for k in RUNBOOK_ANNOTATIONS if web_url(a.annotations.get(k))), None)
    tag = t["resolved"] if a.state == "resolved" else t[severity.value]
    return AlertView(
        id=a.id,
        fingerprint=a.fingerprint,
        state=a.state,
        severity=severity,
        what=what,
        where=where,
        headline=f"[{tag}] {what}" + (f" — {where}" if where else ""),
        facts=_facts(a, t, zone),
        labels=a.labels,
        description=a.annotations.get("description") or a.annotations.get("additional_info") or "",
        source_url=source_url,
        alert_url=alert_url,
        runbook_url=runbook_url,
        actions=actions,
    )


def message_links(views: tuple[AlertView, ...], t: dict[str, str]) -> tuple[Link, ...]:
    if not views:
        return ()
    first = views[0]
    links = []
    if first.source_url:
        links.append(Link(t["source"], first.source_url))
    if first.alert_url:
        links.append(Link(t["open"], first.alert_url))
    if first.runbook_url:
        links.append(Link(t["runbook"], first.runbook_url))
    # A message about several alerts offers the actions of the first one that has any: acting on the
    # others is one click away on the alert page.
    links.extend(next((v.actions for v in views if v.actions), ()))
    return tuple(links)


def web_url(text: str | None) -> bool:
    """Only http(s) links are shown: a `javascript:` URL from outside must not become a link, nor
    one with a character no URL holds (`>`, `"`, a space), which would break out of the link's markup."""
    return usable_url(text)


def number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.4g}"


def when(text: str | None, zone: tzinfo = UTC) -> str:
    """A stored UTC moment as the reader's clock shows it, the zone named (`KST`, `CET`, `UTC`)."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _facts(a: AlertSnapshot, t: dict[str, str], zone: tzinfo) -> tuple[tuple[str, str], ...]:
    threshold = f"{a.comparison or ''} {number(a.threshold)}".strip() if a.threshold is not None else ""
    facts = [
        (t["value"], number(a.value)),
        (t["threshold"], threshold),
        (t["since"], when(a.first_seen, zone)),
        (t["count"], str(a.count)),
        (t["acknowledged_by"], a.acknowledged_by or ""),
        (t["comment"], a.acknowledged_comment or ""),
        (t["resolved_at"], when(a.resolved_at, zone)),
        (t["labels"], ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))),
        (t["also_affected"], _affected(a.also_affected, t)),
        (t["flapping"], a.flapping or ""),
    ]
    return tuple((name, value) for name, value in facts if value)


def _alert_url(a: AlertSnapshot, external_url: str | None) -> str | None:
    if external_url and a.url and a.url.startswith(external_url) and web_url(a.url):
        return a.url
    return f"{external_url.rstrip('/')}/alerts/{a.id}" if external_url else None


def _affected(names: tuple[str, ...], t: dict[str, str]) -> str:
    if not names:
        return ""
    shown = ", ".join(names[:_AFFECTED_SHOWN]) + (", …" if len(names) > _AFFECTED_SHOWN else "")
    return t["also_affected_n"].format(n=len(names), names=shown)


_AFFECTED_SHOWN = 5
