"""Rendering pages: one Jinja2 environment with autoescape on, the context every page shares, the
browser session (for CSRF) and the security headers of every HTML answer."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from alerthub import __version__
from alerthub.api.auth import principal_of, session_of, set_session_cookie
from alerthub.domain.clock import utc_text
from alerthub.domain.severity import Severity
from alerthub.hub import Hub
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope, Session
from alerthub.store import alerts as alert_store
from alerthub.web import i18n

TEMPLATES = Path(__file__).parent / "templates"
NAV = (
    ("/", "alerts"),
    ("/oncall", "oncall"),
    ("/silences", "silences"),
    ("/notifications", "notifications"),
    ("/channels", "channels"),
    ("/monitors", "monitors"),
    ("/rules", "rules"),
    ("/overview", "overview"),
)
# No inline script or style can run: a title that slips past escaping still cannot execute.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_SAFE_URL = re.compile(r"^https?://[^\s\x00-\x1f]+$", re.IGNORECASE)


def is_safe_url(value: object) -> bool:
    """Only http(s) becomes a link: a `javascript:` annotation stays text."""
    return isinstance(value, str) and len(value) < 2000 and bool(_SAFE_URL.match(value))


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


@pass_context
def _ago(ctx: Context, value: datetime | None) -> str:
    if value is None:
        return "—"
    lang = ctx.get("lang", "en")
    seconds = (ctx["now"] - value).total_seconds()
    messages = ctx["messages"]
    if abs(seconds) < 5:
        return str(messages["js.now"])
    text = i18n.duration(abs(seconds), lang).split(" ")[0]
    return str(messages["js.ago" if seconds >= 0 else "js.in"]).replace("{n}", text)


@pass_context
def _dur(ctx: Context, seconds: float) -> str:
    return i18n.duration(seconds, ctx.get("lang", "en")) if seconds else "—"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=True)


def _iso(value: datetime | None) -> str:
    return utc_text(value) if value else ""


def _at(value: datetime | None) -> str:
    """A moment as a clock reads it; the page's script shows it in the reader's own time zone."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters.update(num=_num, ago=_ago, dur=_dur, pretty=_pretty, iso=_iso, at=_at)
    env.tests["safe_url"] = is_safe_url
    return env


class Pages:
    def __init__(self, hub: Hub, auth: AuthService) -> None:
        self.hub = hub
        self.auth = auth
        self.env = make_environment()

    def language(self, request: Request) -> str:
        return i18n.pick(request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language"))

    async def render(
        self, request: Request, page: str, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = self.language(request)
        messages = i18n.translator(lang)
        session, fresh = self.session(request)
        principal = principal_of(request)
        snapshot = await self.auth.snapshot()
        # The count is not for strangers' eyes.
        firing = await self._firing_count() if principal is not None or not snapshot.enabled else 0
        values: dict[str, Any] = {
            "lang": lang,
            "messages": messages,
            "js_messages": _js_messages(messages),
            "t": lambda key: messages.get(key, key),
            "page": page,
            "page_title": "login" if page == "login" else f"nav.{page}",
            "nav": NAV,
            "csrf": session.csrf,
            "user": principal.name if principal and principal.kind == "user" else None,
            # Read-only users and tokens see no buttons they could not use (the API refuses them anyway).
            "can_act": principal is None or principal.scope is Scope.ADMIN,
            "auth_enabled": snapshot.enabled,
            "firing_count": firing,
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            "version": __version__,
            "now": self.hub.clock(),
            "severities": [s.value for s in sorted(Severity, key=lambda s: s.rank)],
            **context,
        }
        html = self.env.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if fresh:
            await self.issue(request, response, session)
        return response

    async def _firing_count(self) -> int:
        async with self.hub.db.read() as conn:
            return (await alert_store.count_by_state(conn)).get("firing", 0)

    def session(self, request: Request) -> tuple[Session, bool]:
        """The browser's session, or a new anonymous one that carries a CSRF token (login form included)."""
        current = session_of(request)
        if current is not None:
            return current, False
        lifetime = self.auth.session_lifetime.total_seconds()
        return Session.anonymous(self.hub.clock().timestamp(), lifetime), True

    async def issue(self, request: Request, response: HTMLResponse | Any, session: Session) -> None:
        codec = await self.auth.session_codec()
        max_age = int(session.expires - self.hub.clock().timestamp())
        set_session_cookie(request, response, codec.encode(session), max(max_age, 0))


def _js_messages(messages: dict[str, str]) -> dict[str, str]:
    """The translations the page's script needs."""
    return {
        k: v
        for k, v in messages.items()
        if k.startswith(("js.", "sev.", "state.", "nstatus.", "act.", "mute."))
        or k in ("acked_by", "test", "flapping", "repeat_zone")
    }
