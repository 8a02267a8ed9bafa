"""Notification payload -> the message one channel sends, through Jinja2 templates in a sandbox.

Each channel type names its body template and how outside text is made safe in it (its `style`:
HTML outputs such as email HTML and Telegram autoescape, Slack escapes its control characters), so
text from outside stays text everywhere. Templates speak English and Korean through the `t`
catalogue, and an entry may override any of them with its `templates` setting (`title`, `body`,
`html`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from alerthub.channels.discord import link as discord_link
from alerthub.channels.message import AlertView, Link, RenderedMessage
from alerthub.channels.registry import message_style
from alerthub.config.models import ChannelEntry
from alerthub.delivery.action_links import ActionLinker
from alerthub.delivery.handoff_text import handoff_lines, handoff_subject
from alerthub.delivery.message_text import words
from alerthub.delivery.message_views import alert_view, message_links, message_status, top_severity
from alerthub.delivery.report_text import report_lines
from alerthub.domain.by_identity import ByIdentity
from alerthub.domain.notification import AlertSnapshot, NotificationPayload
from alerthub.domain.severity import Severity
from alerthub.domain.zones import zone
from alerthub.errors import ConfigError, Problem

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
LISTED = 20  # alerts shown one by one in a message; the rest are counted
VIEWS_KEPT = 20_000  # alert views a channel keeps for its next messages; the oldest go first
HTML_COLOURS = {"critical": "#c0392b", "high": "#d35400", "warning": "#b7950b", "info": "#2471a3"}


@lru_cache(maxsize=16)
def environment(html: bool, escape: Callable[[str], str] | None = None, *, sandboxed: bool = True) -> Environment:
    """Where templates are compiled. A template override gets the sandbox, which keeps it from reaching
    Python internals: overrides come from the config file, but the data they format comes from outside.
    Our own templates need none; the sandbox's check on every attribute they read was most of a growing
    group's rendering (bench/NOTES.md). Both escape and trim alike: the same template reads the same in either."""
    env = (SandboxedEnvironment if sandboxed else Environment)(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=(lambda v: escape(str(v)) if v is not None else "") if escape else None,
    )
    env.filters["discord_link"] = discord_link  # `[label](url)` that outside text cannot break out of
    return env


class Renderer:
    """The compiled templates of one channel; built once per channel so a broken override is a
    configuration error at startup, not a failed notification at 3 a.m."""

    def __init__(self, channel: ChannelEntry) -> None:
        self.channel = channel
        self.style = message_style(channel.type)
        # Made only for buttons that are on: signing them is most of what making a message's links costs.
        self.button_refs = self.style.button_refs and bool(getattr(channel, "buttons", False))
        self.zone = zone(channel.time_zone)
        self.defaults = {
            "title": environment(False, sandboxed=False).get_template("title.txt.j2"),
            "body": environment(self.style.html, self.style.escape, sandboxed=False).get_template(
                self.style.body_template
            ),
            "html": environment(True, sandboxed=False).get_template("email.html.j2"),
        }
        self.templates = dict(self.defaults)
        self._views: ByIdentity[AlertSnapshot, AlertView] = ByIdentity(VIEWS_KEPT)
        problems = []
        for key, source in channel.templates.items():
            if key not in self.defaults:
                problems.append(Problem(f"channels.{channel.name}.templates.{key}", "use title, body or html"))
                continue
            try:
                self.templates[key] = self._sandbox(key).from_string(source)
            except TemplateError as exc:
                problems.append(Problem(f"channels.{channel.name}.templates.{key}", f"template error: {exc}"))
        if problems:
            raise ConfigError(problems)

    def _sandbox(self, key: str) -> Environment:
        """The sandbox an override of `key` is compiled in, escaping as that key's default does."""
        if key == "body":
            return environment(self.style.html, self.style.escape)
        return environment(key == "html")

    def render(
        self,
        payload: NotificationPayload,
        idempotency_key: str = "",
        linker: ActionLinker | None = None,
        row_id: int | None = None,
    ) -> RenderedMessage:
        """`row_id`: the outbox row being sent, when its alerts may be acknowledged together."""
        t = words(self.channel.language)
        # A page to one person acts as that person; any other message as whoever reads the channel.
        holder = payload.paged[0] if len(payload.paged) == 1 else f"channel:{self.channel.name}"

        def actions(index: int, a: AlertSnapshot) -> tuple[Link, ...]:
            if linker is None or payload.reason == "test" or index >= LISTED:  # only listed alerts show them
                return ()
            return linker.links(a, payload.external_url, holder, t, refs=self.button_refs)

        views = tuple(self._view(a, t, payload.external_url, actions(i, a)) for i, a in enumerate(payload.alerts))
        status = message_status(payload)
        severity = top_severity(payload)
        ack_all = self._ack_all(payload, t, holder, linker, row_id)
        links = (ack_all, *message_links(views, t)) if ack_all else message_links(views, t)
        context = self._context(payload, t, views, status, severity, links)
        context["ack_all"] = ack_all
        title = " ".join(self._run("title", context).split())
        context["title"] = title
        return RenderedMessage(
            title=title,
            body=self._run("body", context).strip(),
            html=self._run("html", context) if self.style.html_part else None,
            status=status,
            severity=severity,
            alerts=views,
            links=links,
            payload=payload,
            idempotency_key=idempotency_key,
            language=self.channel.language,
        )

    def _ack_all(
        self,
        payload: NotificationPayload,
        t: dict[str, str],
        holder: str,
        linker: ActionLinker | None,
        row_id: int | None,
    ) -> Link | None:
        """A message (or page) about several firing alerts acknowledges them all with one act: each
        alert's own link acts on it alone, and until each is acknowledged its escalation pages on."""
        if linker is None or row_id is None or payload.reason == "test":
            return None
        firing = sum(1 for a in payload.alerts if a.state == "firing")
        if firing < 2:
            return None
        label = t["action_ack_all"].format(n=firing)
        return linker.whole_link(row_id, payload.external_url, holder, label, refs=self.button_refs)

    def _view(
        self, a: AlertSnapshot, t: dict[str, str], external_url: str | None, actions: tuple[Link, ...]
    ) -> AlertView:
        """The alert as this channel shows it, its view made once per snapshot (domain/by_identity.py);
        only its action links, signed afresh for each message, are new."""
        view = self._views.get(
            a, lambda s: alert_view(s, t, external_url, self.channel.language, self.zone), external_url
        )
        return replace(view, actions=actions) if actions else view

    def _context(
        self,
        payload: NotificationPayload,
        t: dict[str, str],
        views: tuple[AlertView, ...],
        status: str,
        severity: Severity,
        links: tuple[Link, ...],
    ) -> dict[str, object]:
        return {
            "t": t,
            "language": self.channel.language,
            "channel": self.channel.name,
            "status": status,
            "reason": payload.reason,
            "severity": severity.value,
            "alerts": views,
            "links": links,
            "limit": LISTED,
            "group_labels": payload.group_labels,
            "common_labels": payload.common_labels,
            "common_annotations": payload.common_annotations,
            "external_url": payload.external_url,
            "fallback_from": payload.fallback_from,
            "fallback_note": t["fallback"].format(channel=payload.fallback_from or ""),
            "fallback_tag": t["fallback_tag"].format(channel=payload.fallback_from or ""),
            "test_note": t["test_body"].format(channel=self.channel.name),
            "page_note": _page_note(payload, t),
            "page_tag": t["page_tag"],
            "more_text": t["more"].format(n=len(views) - LISTED) if len(views) > LISTED else "",
            "colour": HTML_COLOURS.get(severity.value, "#222") if status == "firing" else "#1e8449",
            "prefix": "" if _notice(payload) else f"[{t[status] if status != 'firing' else t[severity.value]}]",
            "report": _lines(payload, t),
            "subject": _subject(payload, views, t),
        }

    def _run(self, key: str, context: dict[str, object]) -> str:
        template: Template = self.templates[key]
        try:
            return template.render(context)
        except TemplateError as exc:
            if template is self.defaults[key]:
                raise
            # A broken override must not cost the notification: say it with the default instead.
            logger.warning("template %s of channel %s failed (%s); using the default", key, self.channel.name, exc)
            return self.defaults[key].render(context)


def render(
    payload: NotificationPayload, channel: ChannelEntry, idempotency_key: str = "", linker: ActionLinker | None = None
) -> RenderedMessage:
    return Renderer(channel).render(payload, idempotency_key, linker)


def _page_note(payload: NotificationPayload, t: dict[str, str]) -> str:
    """What a page says first: who it pages, and which step of the escalation this is and why."""
    if payload.page_note is None:
        return ""
    if payload.paged:
        return t["page_people"].format(people=", ".join(payload.paged), step=payload.page_note)
    return t["page_nobody"].format(step=payload.page_note)


def _notice(payload: NotificationPayload) -> bool:
    """A message about no alert (a noise report, a handoff): its title has no severity."""
    return payload.noise_report is not None or payload.handoff is not None


def _lines(payload: NotificationPayload, t: dict[str, str]) -> tuple[str, ...]:
    if payload.noise_report is not None:
        return report_lines(payload.noise_report, t)
    if payload.handoff is not None:
        return handoff_lines(payload.handoff, t, payload.external_url)
    return ()


def _subject(payload: NotificationPayload, alerts: tuple[AlertView, ...], t: dict[str, str]) -> str:
    if payload.reason == "test":
        return t["test_title"]
    if payload.handoff is not None:
        return handoff_subject(payload.handoff, t)
    if payload.reason == "digest":
        return t["digest"].format(n=len(alerts))
    if payload.noise_report is not None:
        return t["noise_report"].format(since=payload.noise_report.since[:10], until=payload.noise_report.until[:10])
    if payload.reason == "silence expiring":
        return t["silence_expiring"].format(mute=payload.mute_note, n=len(alerts))
    if payload.mute_note is not None:
        resolved = sum(1 for a in payload.alerts if a.state == "resolved")
        return t["mute_summary"].format(mute=payload.mute_note, n=len(alerts), resolved=resolved)
    if len(alerts) == 1:
        return alerts[0].what + (f" — {alerts[0].where}" if alerts[0].where else "")
    group = ", ".join(f"{k}={v}" for k, v in sorted(payload.group_labels.items()))
    return t["alerts"].format(n=len(alerts)) + (f" — {group}" if group else "")
