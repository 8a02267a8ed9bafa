"""The one-click action pages: `GET /actions/{action}/{token}` shows what the link will do and one
button; only the button's POST acts (services/actions.py). No login: the signed token is the credential.
A refused link gets a page that says why, with its status: 403 tampered, 410 expired, 409 no longer
applies, 404 the alert is gone."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from alerthub.errors import InputError
from alerthub.services.actions import ActionService, ActionView
from alerthub.web.render import Pages

router = APIRouter(include_in_schema=False)
# The token is in the path: keep it out of other sites' Referer headers, caches and search engines.
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@router.get("/actions/{action}/{token}", response_class=HTMLResponse)
async def confirm(request: Request, action: str, token: str) -> HTMLResponse:
    """Changes nothing: mail scanners and chat link previews open links."""
    return await _page(request, action, token, act=False)


@router.post("/actions/{action}/{token}", response_class=HTMLResponse)
async def act(request: Request, action: str, token: str) -> HTMLResponse:
    return await _page(request, action, token, act=True)


async def _page(request: Request, action: str, token: str, *, act: bool) -> HTMLResponse:
    pages: Pages = request.app.state.pages
    service: ActionService = request.app.state.actions
    view: ActionView | None = None
    try:
        view = await (service.perform if act else service.look)(action, token)
    except InputError as exc:
        response = await pages.render(request, "action", "action.html", exc.status, view=None, refusal=exc.message)
    else:
        response = await pages.render(request, "action", "action.html", view=view, done=act, refusal="")
    response.headers.update(PRIVATE)
    return response
