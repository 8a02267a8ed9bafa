"""What delivery hands a channel: text already rendered by the channel's templates, plus the
display-ready facts a channel lays out in its own way (Discord fields, Slack blocks); and the style a
channel type asks its messages to be written in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerthub.domain.notification import NotificationPayload
from alerthub.domain.severity import Severity


@dataclass(frozen=True, slots=True)
class MessageStyle:
    """How delivery writes a channel type's messages: its body template (in delivery/templates/),
    whether that body is HTML (autoescaped), what makes outside text safe in the channel's own markup
    (Slack's control characters), and whether an HTML part goes along (email)."""

    body_template: str = "text.txt.j2"
    html: bool = False
    escape: Callable[[str], str] | None = None
    html_part: bool = False
    # Its buttons (when a channel turns them on) carry `Link.ref`, the short signed reference, not the token.
    button_refs: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """`action`, `token` and `ref`: on a one-click action link (`ack`, `resolve`, `silence`), what a channel
    with buttons of its own puts in a button instead of the URL: the signed token (Slack), or a shorter
    signed reference to the alert, its episode and the expiry where only 64 bytes fit (Telegram's
    callback_data; `ActionTokenCodec.button`)."""

    label: str
    url: str
    action: str | None = None
    token: str | None = None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class AlertView:
    """One alert as a responder reads it: what, where, how bad, since when, how often."""

    id: int
    fingerprint: str
    state: str
    severity: Severity
    what: str
    where: str
    headline: str
    facts: tuple[tuple[str, str], ...]
    labels: dict[str, str]
    description: str
    source_url: str | None
    alert_url: str | None
    runbook_url: str | None = None
    actions: tuple[Link, ...] = ()  # one-click Acknowledge / Resolve / Silence links (delivery/action_links.py)


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One message for one channel. `status` is `firing`, `acknowledged` or `resolved`."""

    title: str
    body: str
    html: str | None
    status: str
    severity: Severity
    alerts: tuple[AlertView, ...]
    links: tuple[Link, ...]
    payload: NotificationPayload
    idempotency_key: str
    language: str = "en"
    footer: str = "alerthub"
    # A page's addresses on this channel's type (Discord or Slack user ids to mention, mail addresses,
    # Telegram chats, Apprise URLs): the message goes to them instead of the channel's own.
    recipients: tuple[str, ...] = ()

    @property
    def is_follow_up(self) -> bool:
        """An acknowledgement or a resolution: it changes what an earlier message said."""
        return self.status in ("acknowledged", "resolved") or self.payload.reason in (
            "acknowledged",
            "some alerts resolved",
            "all alerts resolved",
        )
