"""Every error leaves as JSON that says what is wrong and where; never a bare 500 for bad input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from alerthub.api.responses import JSONResponse
from alerthub.errors import InputError, Problem, StoreUnavailableError, UnknownRuleError
from alerthub.validation import location

logger = logging.getLogger(__name__)

# PagerDuty's Events API v2: its clients read `status`, `message` and a list of strings, and an event it
# cannot accept is a 400 there, so an event that does not validate is a 400 here too (not 422).
PAGERDUTY_PATHS = frozenset({"/v2/enqueue", "/v2/change/enqueue"})


def error_body(message: str, problems: list[Problem]) -> dict[str, object]:
    return {"detail": message, "errors": [{"loc": p.location, "msg": p.message} for p in problems]}


def install(app: FastAPI) -> None:
    app.add_exception_handler(InputError, input_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StoreUnavailableError, _store_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_exception)  # type: ignore[arg-type]


async def input_error_handler(request: Request, exc: InputError) -> JSONResponse:
    return input_error(request, exc)


def input_error(request: Request, exc: InputError) -> JSONResponse:
    _count(request, exc.status)
    return input_error_response(exc, request.url.path)


def input_error_response(exc: InputError, path: str) -> JSONResponse:
    body = error_body(exc.message, exc.problems)
    if isinstance(exc, UnknownRuleError):
        body["known_rules"] = exc.known
    status = exc.status
    if path in PAGERDUTY_PATHS:
        body = pagerduty_body(exc)
        status = 400 if status == 422 else status
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def pagerduty_body(exc: InputError) -> dict[str, object]:
    return {
        "status": "invalid event",
        "message": exc.message,
        "errors": [str(p) for p in exc.problems] or [exc.message],
    }


async def _store_unavailable(request: Request, exc: StoreUnavailableError) -> JSONResponse:
    return unavailable_response(exc)


def unavailable_response(exc: StoreUnavailableError) -> JSONResponse:
    logger.warning("database unavailable, answering 503: %s", exc)
    return JSONResponse(
        error_body("the database is unavailable; nothing was stored, retry later", []),
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [Problem(location(str(e["loc"][0]), tuple(e["loc"][1:])), e["msg"]) for e in exc.errors()]
    status = 422
    _count(request, status)
    return JSONResponse(error_body("invalid request: " + "; ".join(map(str, problems[:3])), problems), status)


async def _http_exception(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code < 500:
        _count(request, exc.status_code)
    return JSONResponse(error_body(str(exc.detail), []), exc.status_code, headers=exc.headers)


def _count(request: Request, status: int) -> None:
    hub = getattr(request.app.state, "hub", None)
    if hub is not None:
        hub.metrics.rejected.labels(str(status)).inc()


class RefuseNul:
    """A path or query string holding U+0000 is a 400 before any route reads it: PostgreSQL's text
    cannot hold the character, so the lookup would fail as a 500. (A body keeps its alerts, each NUL
    made U+FFFD, see validation.without_nul; a lookup has nothing to keep.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = _holding_nul(scope)
            if where is not None:
                problem = Problem(where, "holds U+0000 (NUL), which no name or value here may")
                await input_error(Request(scope), InputError(str(problem), [problem], 400))(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _holding_nul(scope: Scope) -> str | None:
    if "\x00" in scope["path"]:
        return "path"
    query: bytes = scope["query_string"]
    return "query" if b"%00" in query or b"\x00" in query else None
