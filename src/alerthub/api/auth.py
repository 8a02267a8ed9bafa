"""Who may call what. A pure ASGI middleware that sets `request.state.principal` and
`request.state.session`. Bearer tokens are checked from memory (no query; see services/auth.py); a
session cookie costs one primary-key read, so logout and `users remove` end it at once everywhere
(services/sessions.py).

Scopes: `ingest` may post signals (and heartbeats), `read` may GET, `admin` may do everything.
Browsers authenticate with the signed session cookie; state-changing calls made with that cookie must
carry the session's CSRF token (`X-CSRF-Token` header; the login/logout/language forms carry it as a
field, checked by their views). A GET that changes state (a heartbeat ping, for `curl URL`) never
accepts the cookie: a cross-site link would carry it.

PagerDuty clients send their credential in the body: `POST /v2/enqueue` and `/v2/change/enqueue` with no
Authorization header and no session cookie are authenticated by the event's `routing_key`, checked as an
ingest token (or a key listed in `integrations.pagerduty.routing_keys`), the body read once and replayed
to the endpoint (api/routing_key.py). A key that is neither is refused as PagerDuty refuses an unknown
key: 400 "Event object is invalid".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request, Response
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from alerthub.api.errors import PAGERDUTY_PATHS, error_body, input_error_response
from alerthub.api.responses import JSONResponse
from alerthub.api.routing_key import WHAT_IS_ACCEPTED, read_replayable, refused, routing_key_in
from alerthub.errors import InputError, StoreUnavailableError
from alerthub.hub import Hub
from alerthub.services.auth import AuthService
from alerthub.services.auth_policy import open_to_local_sender
from alerthub.services.credentials import Principal, Session, same_secret
from alerthub.services.credentials import Scope as AccessScope
from alerthub.services.pagerduty import routing_keys

logger = logging.getLogger(__name__)

COOKIE_NAME = "alerthub_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# /login, /logout and /lang are plain HTML forms: their views check the CSRF field themselves (the
# middleware cannot read a body without consuming it).
PUBLIC_PATHS = frozenset(
    {"/healthz", "/readyz", "/-/healthy", "/-/ready", "/login", "/logout", "/lang", "/favicon.ico"}
)
PUBLIC_PREFIXES = ("/webhooks/", "/static/")
# Pages anyone may open, signed in or not: a one-click action link carries its own credential, a signed
# token (services/actions.py), and its page needs the session only to speak the reader's language.
ACTION_PREFIX = "/actions/"
# /webhooks/alertmanager has no secret of its own (Alertmanager sends a bearer token if configured to),
# so unlike the other webhooks it takes an ingest token once access control is on.
INGEST_PATHS = frozenset(
    {"/api/alerts/send", "/api/v2/alerts", "/v2/enqueue", "/v2/change/enqueue", "/webhooks/alertmanager"}
)
# Who sent an event authenticated by a key of integrations.pagerduty.routing_keys (not a token).
CONFIGURED_KEY = Principal("pagerduty routing key", AccessScope.INGEST, "routing_key")


def required_scope(method: str, path: str) -> AccessScope:
    """The scope by method and path. A GET that changes state asks for more: see `changes_state`."""
    if method == "POST" and (path in INGEST_PATHS or path.startswith("/api/heartbeats/")):
        return AccessScope.INGEST
    return AccessScope.READ if method in SAFE_METHODS else AccessScope.ADMIN


def changes_state(method: str, path: str) -> bool:
    """The one GET that writes: a heartbeat ping (`GET /api/heartbeats/{name}`), for cron one-liners that
    can only GET. It takes a bearer token with the ingest scope (or admin), never a session cookie, and is
    refused cross-site even on an open hub. Every other GET only reads."""
    return method in ("GET", "HEAD") and path.startswith("/api/heartbeats/")


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
            refusal, receive = await self._check(scope, receive)
        except StoreUnavailableError:
            refusal = _json(503, "the database is unavailable; nothing was stored, retry later", {"Retry-After": "5"})
        if refusal is not None:
            self.on_refusal(refusal.status_code)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope, receive: Receive) -> tuple[Response | None, Receive]:
        """The refusal, if any, and the `receive` the app is to read the body from."""
        path: str = scope["path"]
        state = scope.setdefault("state", {})
        state.setdefault("principal", None)
        if path.startswith(PUBLIC_PREFIXES) and path not in INGEST_PATHS:
            return None, receive
        headers = Headers(scope=scope)
        method: str = scope["method"]
        writes = method not in SAFE_METHODS or changes_state(method, path)
        if writes and _bearer(headers) is None and headers.get("sec-fetch-site") == "cross-site":
            # A browser on another site posting here (a form or fetch): never acceptable, even when open.
            return _json(403, "cross-site request refused"), receive
        if _without_credentials(method, path, headers) and await self._local_sender(scope, headers):
            return None, receive
        if _by_body(method, path, headers) and (await self.auth.snapshot()).enabled:
            return await self._by_routing_key(scope, receive)
        return await self._by_headers(scope, headers), receive

    async def _local_sender(self, scope: Scope, headers: Headers) -> bool:
        """An ingest request from this host with no proxy in between, while `auth.loopback_ingest` keeps
        that open (services/auth_policy.py)."""
        client = scope.get("client")
        access = await self.auth.ingest_access()
        return open_to_local_sender(access, client[0] if client else None, headers.keys())

    async def _by_headers(self, scope: Scope, headers: Headers) -> Response | None:
        path: str = scope["path"]
        method: str = scope["method"]
        state = scope["state"]
        in_url = None if "authorization" in headers else feed_token(method, path, scope.get("query_string", b""))
        bearer = _bearer(headers) or in_url
        unsafe = method not in SAFE_METHODS
        session = state["session"] = await self._session(headers)
        if path in PUBLIC_PATHS or path.startswith(ACTION_PREFIX):
            return None
        snap = await self.auth.snapshot()
        if not snap.enabled:
            principal = None  # open: no user or token exists yet (loopback only, see `serve`)
        elif bearer is not None:
            principal = await self.auth.authenticate_token(bearer)
            if principal is None:
                return _json(401, "invalid or revoked API token", {"WWW-Authenticate": "Bearer"})
            if in_url and principal.scope is not AccessScope.READ:
                return _json(403, "a token in a calendar URL must have the read scope (tokens create --scope read)")
        else:
            principal = await self.auth.sessions.resume(session)
            if principal is None:
                return _unauthenticated(method, path, headers, scope.get("query_string", b""))
        refused = _refusal(principal, method, path)
        if refused is not None:
            return refused
        if unsafe and bearer is None and session is not None and not _csrf_ok(headers, session):
            return _json(403, f"missing or wrong {CSRF_HEADER} header for a cookie-authenticated request")
        state["principal"] = principal
        return None

    async def _by_routing_key(self, scope: Scope, receive: Receive) -> tuple[Response | None, Receive]:
        """A PagerDuty event with no header to authenticate it: its `routing_key` is the credential."""
        config = self.auth.config
        try:
            body, receive = await read_replayable(scope, receive, config.server.max_body_bytes)
            key = routing_key_in(body)
            # A configured key is known from memory: asked first, it never costs a token-cache reload.
            configured = routing_keys(config).configured(key)
            principal = CONFIGURED_KEY if configured else await self.auth.authenticate_token(key)
        except InputError as exc:
            return input_error_response(exc, scope["path"]), receive
        except ClientDisconnect:
            return Response(status_code=400), receive
        if principal is None or not principal.scope.allows(AccessScope.INGEST):
            kind = "unknown: not" if principal is None else f"a {principal.scope.value}-scope token, not"
            why = f"{kind} {WHAT_IS_ACCEPTED}"
            return input_error_response(refused(why), scope["path"]), receive
        scope["state"]["principal"] = principal
        return None, receive

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


def _refusal(principal: Principal | None, method: str, path: str) -> Response | None:
    if principal is None:
        return None
    if changes_state(method, path):
        if principal.kind != "token":
            return _json(403, f"{method} {path} changes state: it takes a bearer token, not a session cookie")
        needed = AccessScope.INGEST
    else:
        needed = required_scope(method, path)
    if not principal.scope.allows(needed):
        return _json(403, f"the {principal.scope.value} scope does not allow {method} {path}")
    return None


def feed_token(method: str, path: str, query: bytes) -> str | None:
    """Calendar apps subscribe to a URL and cannot send headers: a schedule's feed takes its token as
    `?token=`. Only a read-scope one: the URL is stored by the calendar service, where a token that can
    change anything does not belong."""
    if method not in ("GET", "HEAD") or not (path.startswith("/api/schedules/") and path.endswith(".ics")):
        return None
    given = parse_qs(query.decode("latin-1")).get("token")
    return given[0] if given and given[0] else None


def _by_body(method: str, path: str, headers: Headers) -> bool:
    """A PagerDuty event that brings no credential in its headers: no Authorization, no session cookie."""
    return method == "POST" and path in PAGERDUTY_PATHS and "authorization" not in headers and not _has_cookie(headers)


def _without_credentials(method: str, path: str, headers: Headers) -> bool:
    """A sender's POST to an ingest endpoint with no token and no session: a credential that is sent is
    always checked, wherever it comes from."""
    ingest = method == "POST" and required_scope(method, path) is AccessScope.INGEST
    return ingest and "authorization" not in headers and not _has_cookie(headers)


def _has_cookie(headers: Headers) -> bool:
    return COOKIE_NAME in headers.get("cookie", "")


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
