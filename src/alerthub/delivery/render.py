"""Notification payload -> the message one channel sends, through Jinja2 templates in a sandbox.

Each channel type has default templates (English and Korean through the `t` catalogue) and may
override any of them with its `templates` setting (`title`, `body`, `html`). HTML outputs (email
HTML, Telegram) autoescape; Slack output escapes Slack's control characters, so text from outside
stays text everywhere."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import FileSystemLoader, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from alerthub.channels.message import AlertView, RenderedMessage
from alerthub.channels.slack import escape as slack_escape
from alerthub.config.models import ChannelConfig
from alerthub.delivery.i18n import words
from alerthub.delivery.views import alert_view, message_links, message_status, top_severity
from alerthub.domain.notification import NotificationPayload
from alerthub.errors import ConfigError, Problem

logger = logging.getLogger(__name__)

Mode = Literal["text", "html", "slack"]
TEMPLATES = Path(__file__).parent / "templates"
LISTED = 20  # alerts shown one by one in a message; the rest are counted

# Per channel type: body template and how its output is escaped.
BODY: dict[str, tuple[str, Mode]] = {
    "discord": ("discord.md.j2", "text"),
    "slack": ("slack.mrkdwn.j2", "slack"),
    "telegram": ("telegram.html.j2", "html"),
    "email": ("text.txt.j2", "text"),
    "webhook": ("text.txt.j2", "text"),
    "apprise": ("text.txt.j2", "text"),
}
HTML_COLOURS = {"critical": "#c0392b", "high": "#d35400", "warning": "#b7950b", "info": "#2471a3"}


@lru_cache(maxsize=3)
def environment(mode: Mode) -> SandboxedEnvironment:
    # The sandbox keeps a template override from reaching Python internals; overrides come from
    # the config file, but the data they format comes from outside.
    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=mode == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=(lambda v: slack_escape(str(v)) if v is not None else "") if mode == "slack" else None,
    )
    return env


class Renderer:
    """The compiled templates of one channel; built once per channel so a broken override is a
    configuration error at startup, not a failed notification at 3 a.m."""

    def __init__(self, channel: ChannelConfig) -> None:
        self.channel = channel
        body_name, self.body_mode = BODY[channel.type]
        self.defaults = {
            "title": environment("text").get_template("title.txt.j2"),
            "body": environment(self.body_mode).get_template(body_name),
            "html": environment("html").get_template("email.html.j2"),
        }
        self.templates = dict(self.defaults)
        problems = []
        for key, source in channel.templates.items():
            if key not in self.defaults:
                problems.append(Problem(f"channels.{channel.name}.templates.{key}", "use title, body or html"))
                continue
            mode = "text" if key == "title" else "html" if key == "html" else self.body_mode
            try:
                self.templates[key] = environment(mode).from_string(source)
            except TemplateError as exc:
                problems.append(Problem(f"channels.{channel.name}.templates.{key}", f"template error: {exc}"))
        if problems:
            raise ConfigError(problems)

    def render(self, payload: NotificationPayload, idempotency_key: str = "") -> RenderedMessage:
        t = words(self.channel.language)
        views = tuple(alert_view(a, t, payload.external_url) for a in payload.alerts)
        status = message_status(payload)
        severity = top_severity(payload)
        links = message_links(views, t)
        context: dict[str, object] = {
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
            "more_text": t["more"].format(n=len(views) - LISTED) if len(views) > LISTED else "",
            "colour": HTML_COLOURS.get(severity.value, "#222") if status == "firing" else "#1e8449",
            "prefix": f"[{t[status] if status != 'firing' else t[severity.value]}]",
            "subject": _subject(payload, views, t),
        }
        title = " ".join(self._run("title", context).split())
        context["title"] = title
        html = self._run("html", context) if self.channel.type == "email" else None
        return RenderedMessage(
            title=title,
            body=self._run("body", context).strip(),
            html=html,
            status=status,
            severity=severity,
            alerts=views,
            links=links,
            payload=payload,
            idempotency_key=idempotency_key,
            language=self.channel.language,
        )

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


def render(payload: NotificationPayload, channel: ChannelConfig, idempotency_key: str = "") -> RenderedMessage:
    return Renderer(channel).render(payload, idempotency_key)


def _subject(payload: NotificationPayload, alerts: tuple[AlertView, ...], t: dict[str, str]) -> str:
    if payload.reason == "test":
        return t["test_title"]
    if payload.reason == "digest":
        return t["digest"].format(n=len(alerts))
    if len(alerts) == 1:
        return alerts[0].what + (f" — {alerts[0].where}" if alerts[0].where else "")
    group = ", ".join(f"{k}={v}" for k, v in sorted(payload.group_labels.items()))
    return t["alerts"].format(n=len(alerts)) + (f" — {group}" if group else "")
