"""Who may call what. A pure ASGI middleware (no per-request database query; see services/auth.py)
that sets `request.state.principal` and `request.state.session`.

Scopes: `ingest` may post signals (and heartbeats), `read` may GET, `admin` may do everything.
Browsers authenticate with the signed session cookie; state-changing calls made with that cookie must
carry the session's CSRF token (`X-CSRF-Token` header; the login/logout/language forms carry it as a
field, checked by their views).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from alerthub.api.errors import error_body
from alerthub.api.responses import JSONResponse
from alerthub.errors import StoreUnavailableError
from alerthub.hub import Hub
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Principal, Session, same_secret
from alerthub.services.credentials import Scope as AccessScope

logger = logging.getLogger(__name__)

COOKIE_NAME = "alerthub_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# /login, /logout and /lang are plain HTML forms: their views check the CSRF field themselves (the
# middleware cannot read a body without consuming it).
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/login", "/logout", "/lang", "/favicon.ico"})
PUBLIC_PREFIXES = ("/webhooks/", "/static/")
# /webhooks/alertmanager has no secret of its own (Alertmanager sends a bearer token if configured to),
# so unlike the other webhooks it takes an ingest token once access control is on.
INGEST_PATHS = frozenset({"/api/alerts/send", "/api/v2/alerts", "/v2/enqueue", "/webhooks/alertmanager"})


def required_scope(method: str, path: str) -> AccessScope:
    if method == "POST" and (path in INGEST_PATHS or path.startswith("/api/heartbeats/")):
        return AccessScope.INGEST
    return AccessScope.READ if method in SAFE_METHODS else AccessScope.ADMIN


class AuthMiddleware:
    def __init__(self, app: ASGIApp, auth: AuthService, on_refusal: Callable[[int], None] = lambda _s: None) -> None:
        self.app = app
        self.auth = auth
        self.on_refusal = on_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            refusal = await self._check(scope)
        except StoreUnavailableError:
            refusal = _json(503, "the database is unavailable; nothing was stored, retry later", {"Retry-After": "5"})
        if refusal is not None:
            self.on_refusal(refusal.status_code)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope) -> Response | None:
        path: str = scope["path"]
        method: str = scope["method"]
        state = scope.setdefault("state", {})
        state.setdefault("principal", None)
        if path.startswith(PUBLIC_PREFIXES) and path not in INGEST_PATHS:
            return None
        headers = Headers(scope=scope)
        bearer = _bearer(headers)
        unsafe = method not in SAFE_METHODS
        if unsafe and bearer is None and headers.get("sec-fetch-site") == "cross-site":
            # A browser on another site posting here (a form or fetch): never acceptable, even when open.
            return _json(403, "cross-site request refused")
        session = state["session"] = await self._session(headers)
        if path in PUBLIC_PATHS:
            return None
        snap = await self.auth.snapshot()
        if not snap.enabled:
            principal = None  # open: no user or token exists yet (loopback only, see `serve`)
        elif bearer is not None:
            principal = await self.auth.authenticate_token(bearer)
            if principal is None:
                return _json(401, "invalid or revoked API token", {"WWW-Authenticate": "Bearer"})
        else:
            user = session.user if session is not None else None
            principal = await self.auth.session_user(user) if user else None
            if principal is None:
                return _unauthenticated(method, path, headers, scope.get("query_string", b""))
        if principal is not None and not principal.scope.allows(required_scope(method, path)):
            return _json(403, f"the {principal.scope.value} scope does not allow {method} {path}")
        if unsafe and bearer is None and session is not None and not _csrf_ok(headers, session):
            return _json(403, f"missing or wrong {CSRF_HEADER} header for a cookie-authenticated request")
        state["principal"] = principal
        return None

    async def _session(self, headers: Headers) -> Session | None:
        raw = headers.get("cookie")
        if not raw or COOKIE_NAME not in raw:
            return None
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except CookieError:  # a garbled cookie header is the same as no session
            return None
        morsel = jar.get(COOKIE_NAME)
        if morsel is None:
            return None
        codec = await self.auth.session_codec()
        return codec.decode(morsel.value, self.auth.clock().timestamp())


def _csrf_ok(headers: Headers, session: Session) -> bool:
    given = headers.get(CSRF_HEADER, "")
    return bool(given) and same_secret(given, session.csrf)


def _bearer(headers: Headers) -> str | None:
    value = headers.get("authorization")
    if not value:
        return None
    kind, _, token = value.partition(" ")
    return token.strip() if kind.lower() == "bearer" and token.strip() else None


def _unauthenticated(method: str, path: str, headers: Headers, query: bytes) -> Response:
    if method == "GET" and "text/html" in headers.get("accept", "") and not path.startswith("/api/"):
        target = path + ("?" + query.decode("latin-1") if query else "")
        return Response(status_code=303, headers={"Location": "/login?next=" + quote(target, safe="")})
    return _json(401, "authentication required: send Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"})


def _json(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(error_body(message, []), status_code=status, headers=headers)


def set_session_cookie(request: Request, response: Response, value: str, max_age: int) -> None:
    secure = request.app.state.hub.config.auth.cookie_secure
    if secure is None:
        secure = request.url.scheme == "https"
    response.set_cookie(COOKIE_NAME, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")


def principal_of(request: Request) -> Principal | None:
    found: Principal | None = getattr(request.state, "principal", None)
    return found


def session_of(request: Request) -> Session | None:
    found: Session | None = getattr(request.state, "session", None)
    return found


def install(app: FastAPI, hub: Hub) -> AuthService:
    auth = AuthService(hub.db, hub.config, hub.clock)
    app.state.auth = auth

    async def record_token_use(stop: asyncio.Event) -> None:
        await auth.usage_loop(stop, on_error=hub.metrics.loop_errors.labels("token-usage").inc)

    hub.background["token-usage"] = record_token_use
    app.add_middleware(AuthMiddleware, auth=auth, on_refusal=lambda status: hub_rejected(app, status))
    return auth


def hub_rejected(app: FastAPI, status: int) -> None:
    hub = getattr(app.state, "hub", None)
    if hub is not None:
        hub.metrics.rejected.labels(str(status)).inc()
