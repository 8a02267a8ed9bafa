"""The three plain HTML forms: log in, log out, switch language. Each checks the CSRF field against the
session (the middleware lets these paths through for that). Bodies are parsed here, urlencoded only."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from alerthub.api.auth import session_of
from alerthub.api.body import read_body
from alerthub.errors import InputError
from alerthub.services.auth import AuthService, LoginFailed, TooManyAttempts
from alerthub.services.credentials import Session, same_secret
from alerthub.validation import without_nul
from alerthub.web import i18n
from alerthub.web.render import Pages

router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 16 * 1024
LANG_MAX_AGE = 365 * 86400


def safe_next(target: str | None) -> str:
    """Only a path on this site: `//evil.example` and `https://...` go home instead (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return "/"
    return target


async def _form(request: Request) -> dict[str, str]:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise InputError("send the form as application/x-www-form-urlencoded", status=415)
    raw = await read_body(request, MAX_FORM_BYTES)
    parsed = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=20)
    return without_nul({k: v[0] for k, v in parsed.items()})


def _csrf_ok(request: Request, form: dict[str, str]) -> bool:
    session = session_of(request)
    given = form.get("csrf", "")
    return session is not None and bool(given) and same_secret(given, session.csrf)


def _parts(request: Request) -> tuple[Pages, AuthService]:
    return request.app.state.pages, request.app.state.auth


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    pages, auth = _parts(request)
    session = session_of(request)
    target = safe_next(request.query_params.get("next"))
    snapshot = await auth.snapshot()
    if await auth.sessions.resume(session) is not None:
        return RedirectResponse(target, status_code=303)
    messages = i18n.translator(pages.language(request))
    error = None if snapshot.users else messages["login_open"]
    return await pages.render(request, "login", "login.html", next=target, error=error, username="")


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    pages, auth = _parts(request)
    form = await _form(request)
    messages = i18n.translator(pages.language(request))
    target = safe_next(form.get("next"))
    username = form.get("username", "")[:200]

    async def again(error: str, status: int, headers: dict[str, str] | None = None) -> Response:
        response = await pages.render(
            request, "login", "login.html", status=status, next=target, error=error, username=username
        )
        response.headers.update(headers or {})
        return response

    if not _csrf_ok(request, form):
        return await again(messages["csrf_failed"], 403)
    client = request.client.host if request.client else "unknown"
    try:
        principal = await auth.login(username, form.get("password", ""), client)
    except TooManyAttempts as exc:
        wait = int(exc.retry_after) + 1
        return await again(messages["login_limited"].replace("{s}", str(wait)), 429, {"Retry-After": str(wait)})
    except LoginFailed:
        return await again(messages["login_failed"], 401)
    # A new session (and CSRF token) at login: a session fixed before login is worth nothing after.
    session = await auth.sessions.start(principal.name)
    if session is None:  # the user was removed while their password was being checked
        return await again(messages["login_failed"], 401)
    response = RedirectResponse(target, status_code=303)
    await pages.issue(request, response, session)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    pages, auth = _parts(request)
    form = await _form(request)
    if not _csrf_ok(request, form):
        return Response("CSRF check failed", status_code=403, media_type="text/plain")
    await auth.sessions.end(session_of(request))  # the old cookie is worthless from here on, everywhere
    response = RedirectResponse("/login", status_code=303)
    session = Session.anonymous(auth.clock().timestamp(), auth.session_lifetime.total_seconds())
    await pages.issue(request, response, session)
    return response


@router.post("/lang")
async def switch_language(request: Request) -> Response:
    form = await _form(request)
    if not _csrf_ok(request, form):
        return Response("CSRF check failed", status_code=403, media_type="text/plain")
    lang = form.get("lang", "")
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=LANG_MAX_AGE, samesite="lax", path="/")
    return response
