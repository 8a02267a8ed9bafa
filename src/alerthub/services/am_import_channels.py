"""One Alertmanager integration (`webhook_configs[0]` of a receiver) → one alerthub channel, or a note
saying why not. Every key an integration sets is either carried or named in a note: Go templates
(alerthub renders its own messages), secrets Alertmanager reads from files (not read here), HTTP client
settings alerthub's channels do not have."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

# Alertmanager's `send_resolved` defaults differ by integration (config/notifiers.go).
SEND_RESOLVED = {"email": False, "slack": False}
TEMPLATE_KEYS = frozenset(
    {"title", "text", "message", "pretext", "html", "headers", "description", "details", "summary", "fields",
     "footer", "color", "client", "client_url", "severity", "class", "component", "group", "images", "links",
     "actions", "title_link", "content", "callback_id", "fallback", "icon_emoji", "icon_url", "image_url",
     "thumb_url", "short_fields", "mrkdwn_in", "link_names", "parse", "username"}
)  # fmt: skip
# Power Automate / Logic Apps workflow URLs, the only Teams webhooks Apprise reaches (apprise/plugins/workflows.py).
_WORKFLOW = re.compile(
    r"^https?://[A-Z0-9_.-]+\.(?:logic\.azure\.[A-Z]{2,12}|(?:power|apps)platform(?:\.[A-Z0-9-]{2,24}){1,3})"
    r"(?::[0-9]+)?(?:/powerautomate/automations/direct(?:/cu/[0-9]+)?)?/workflows/[A-Z0-9_-]+/triggers/manual/",
    re.IGNORECASE,
)


@dataclass
class Integration:
    """Where a channel comes from, and the notes about it."""

    receiver: str
    kind: str  # "webhook", "email", ... (Alertmanager's `<kind>_configs`)
    index: int
    settings: Mapping[str, Any]
    global_: Mapping[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.kind}_configs[{self.index}]"

    def note(self, message: str) -> None:
        self.notes.append(message)

    def rest(self, carried: set[str]) -> None:
        """Name every key this integration sets that the channel does not carry."""
        for key, value in self.settings.items():
            if key in carried or key == "send_resolved":
                continue
            if key.endswith("_file"):
                self.note(f"`{key}`: Alertmanager reads this secret from a file; not read here, put it in the channel")
            elif key in TEMPLATE_KEYS or (isinstance(value, str) and "{{" in value):
                self.note(f"`{key}`: Go template not carried (alerthub renders its own message; see `templates`)")
            elif key == "http_config":
                self.note("`http_config` not carried (this channel type has no HTTP client settings)")
            else:
                self.note(f"`{key}` not carried")

    def required(self, key: str) -> Any:
        value = self.settings.get(key)
        if value in (None, ""):
            how = f"only as `{key}_file`, not read" if self.settings.get(f"{key}_file") else "missing"
            self.note(f"`{key}` {how}: channel not created")
        return value


Converter = Callable[[Integration], dict[str, Any] | None]


def webhook(i: Integration) -> dict[str, Any] | None:
    url = i.required("url")
    i.rest({"url", "http_config", "timeout"})
    if url is None:
        return None
    out: dict[str, Any] = {"type": "webhook", "url": url}
    headers = http_headers(i, i.settings.get("http_config") or {})
    if headers:
        out["headers"] = headers
    if i.settings.get("timeout"):
        out["timeout"] = i.settings["timeout"]
    return out


def http_headers(i: Integration, http: Mapping[str, Any]) -> dict[str, str]:
    """The credential an `http_config` sends, as the header it becomes; every other setting is noted."""
    auth, basic = http.get("authorization") or {}, http.get("basic_auth") or {}
    headers: dict[str, str] = {}
    if auth.get("credentials"):
        headers["Authorization"] = f"{auth.get('type') or 'Bearer'} {auth['credentials']}"
    elif http.get("bearer_token"):
        headers["Authorization"] = f"Bearer {http['bearer_token']}"
    elif basic.get("username") and basic.get("password"):
        pair = f"{basic['username']}:{basic['password']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    for key in ("credentials_file",):
        if auth.get(key):
            i.note(f"`http_config.authorization.{key}`: secret in a file, not read; set the header by hand")
    if http.get("bearer_token_file") or basic.get("password_file"):
        i.note("`http_config` reads its secret from a file; not read, set the Authorization header by hand")
    for key in sorted(set(http) - {"authorization", "bearer_token", "bearer_token_file", "basic_auth"}):
        i.note(f"`http_config.{key}` not carried")
    return headers


def email(i: Integration) -> dict[str, Any] | None:
    g = i.global_
    to = i.required("to")
    smarthost = i.settings.get("smarthost") or g.get("smtp_smarthost")
    if to is None or not smarthost:
        if to is not None:
            i.note("no `smarthost` here nor `global.smtp_smarthost`: channel not created")
        i.rest({"to", "smarthost", "from", "auth_username", "auth_password", "require_tls", "tls_config"})
        return None
    host, _, port = str(smarthost).rpartition(":")
    out: dict[str, Any] = {"type": "email", "smtp_host": host or str(smarthost), "to": to}
    if port.isdigit():
        out["smtp_port"] = int(port)
    for ours, theirs in (("from", "from"), ("username", "auth_username"), ("password", "auth_password")):
        value = i.settings.get(theirs) or g.get(f"smtp_{theirs}")
        if value:
            out[ours] = value
    if not i.settings.get("auth_password") and g.get("smtp_auth_password_file"):
        i.note("`global.smtp_auth_password_file`: secret in a file, not read; set `password` by hand")
    require_tls = i.settings.get("require_tls", g.get("smtp_require_tls", True))
    out["tls"] = "ssl" if out.get("smtp_port") == 465 else "starttls" if require_tls else "none"
    tls = dict(i.settings.get("tls_config") or {})
    if tls.pop("insecure_skip_verify", False):
        out["validate_certs"] = False
    for key in sorted(tls):
        i.note(f"`tls_config.{key}` not carried")
    i.rest({"to", "smarthost", "from", "auth_username", "auth_password", "require_tls", "tls_config"})
    return out


def slack(i: Integration) -> dict[str, Any] | None:
    url = i.settings.get("api_url") or i.global_.get("slack_api_url")
    i.rest({"api_url", "channel"})
    if i.settings.get("channel"):
        i.note(f"`channel` {i.settings['channel']!r} not carried: the incoming webhook posts to its own channel")
    if not url:
        file = i.settings.get("api_url_file") or i.global_.get("slack_api_url_file")
        i.note("`api_url` " + ("only in a file, not read" if file else "missing") + ": channel not created")
        return None
    return {"type": "slack", "url": url}


def discord(i: Integration) -> dict[str, Any] | None:
    url = i.required("webhook_url")
    name = i.settings.get("username")
    plain_name = isinstance(name, str) and name and "{{" not in name
    i.rest({"webhook_url", "username"} if plain_name or not name else {"webhook_url"})
    if url is None:
        return None
    return {"type": "discord", "url": url, **({"username": name} if plain_name else {})}


def telegram(i: Integration) -> dict[str, Any] | None:
    token, chat = i.required("bot_token"), i.required("chat_id")
    i.rest({"bot_token", "chat_id", "api_url", "parse_mode"})
    if i.settings.get("parse_mode") not in (None, "HTML"):
        i.note(f"`parse_mode` {i.settings['parse_mode']!r} not carried: alerthub sends HTML")
    if token is None or chat is None:
        return None
    out: dict[str, Any] = {"type": "telegram", "bot_token": token, "chat_id": str(chat)}
    base = i.settings.get("api_url") or i.global_.get("telegram_api_url")
    if base:
        out["base_url"] = str(base).rstrip("/")
    return out


def pagerduty(i: Integration) -> dict[str, Any] | None:
    """A `routing_key` (Events API v2) becomes a `pagerduty` channel posting to the same events URL
    (`url`, else `global.pagerduty_url`, else PagerDuty's own). A `service_key` alone (Events API v1,
    which alerthub's channel does not speak) keeps Apprise's `pagerduty://{key}@{API key}`: the Events
    API authenticates by that key alone; Apprise's URL still wants an API key, which it only sends as a
    header PagerDuty's events endpoint ignores, so a placeholder stands in."""
    key = i.settings.get("routing_key")
    url = i.settings.get("url") or i.global_.get("pagerduty_url")
    if key:
        i.rest({"routing_key", "url"})
        return {"type": "pagerduty", "routing_key": key, **({"url": str(url)} if url else {})}
    return _apprise_pagerduty(i, str(url or "https://events.pagerduty.com/v2/enqueue"))


def _apprise_pagerduty(i: Integration, url: str) -> dict[str, Any] | None:
    key = i.settings.get("service_key")
    i.rest({"service_key", "url"})
    if not key:
        i.note("no `routing_key` or `service_key` (a `_file` one is not read): channel not created")
        return None
    i.note("`service_key` (Events API v1) used as the Events API v2 routing key Apprise sends")
    host = urlsplit(url).hostname or ""
    if host not in ("events.pagerduty.com", "events.eu.pagerduty.com"):
        i.note(f"`url` {url!r}: Apprise only reaches PagerDuty's own events endpoint; channel not created")
        return None
    region = "eu" if host == "events.eu.pagerduty.com" else "us"
    return {"type": "apprise", "urls": [f"pagerduty://{quote(str(key), safe='')}@alertmanager?region={region}"]}


def msteams(i: Integration) -> dict[str, Any] | None:
    """Apprise reaches Teams through a Workflows (Power Automate) webhook; the Office 365 connector
    URLs of `msteams_configs` were retired by Microsoft and no Apprise URL reaches them."""
    url = i.required("webhook_url")
    i.rest({"webhook_url"})
    if url is None:
        return None
    if not _WORKFLOW.match(str(url)):
        i.note("`webhook_url` is not a Teams Workflows URL (Office 365 connectors are retired and Apprise does not "
               "reach them): create a Workflows webhook in Teams and add it as an apprise channel")  # fmt: skip
        return None
    return {"type": "apprise", "urls": [url]}


CONVERTERS: dict[str, Converter] = {
    "webhook": webhook,
    "email": email,
    "slack": slack,
    "discord": discord,
    "telegram": telegram,
    "pagerduty": pagerduty,
    "msteams": msteams,
    "msteamsv2": msteams,
}
