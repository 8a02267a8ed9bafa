"""Loopback stand-ins for the APIs the pollers read: real HTTP servers (one thread each) that answer
as the real services document — their auth, pagination, rate-limit headers, 429 bodies and errors.

Each records the requests it got, can be switched to fail (`fail_with`), to hang (`delay`), or be
stopped altogether (a down service), so the pollers' failure paths meet real sockets.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry

from alerthub.domain.alert import Alert
from alerthub.hub import Hub
from alerthub.ingest.poller import Poller, PollerMetrics, Schedule, Sleep, Supervisor
from alerthub.store.alert_queries import AlertFilter

FIXTURES = Path(__file__).parent.parent / "fixtures"


def load_fixture(source: str, name: str) -> Any:
    return json.loads((FIXTURES / source / name).read_text())


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeAPI:
    """Subclasses implement `answer(request) -> Reply`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.failure: Reply | None = None
        self.delay = 0.0
        self._released = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api._serve(self, "GET")

            def do_POST(self) -> None:
                api._serve(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeAPI:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Shut the port: from now on a connection is refused, as with a service that is down."""
        self._released.set()
        self.server.shutdown()
        self.server.server_close()

    def fail_with(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.failure = Reply(status, body, headers or {})

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Request(
            method,
            split.path,
            parse_qs(split.query, keep_blank_values=True),
            {k.lower(): v for k, v in handler.headers.items()},
            handler.rfile.read(length),
        )
        self.requests.append(request)
        if self.delay:
            self._released.wait(self.delay)
        reply = self.failure or self.answer(request)
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)


class SentryAPI(FakeAPI):
    """`GET /api/0/organizations/{org}/events/` as Sentry answers it: Bearer token, `field` required,
    aggregates per `field=project`, `per_page` at most 100 with `Link` cursors, one project at a time
    without global-views, and the X-Sentry-Rate-Limit-* headers (429 when spent, no Retry-After)."""

    def __init__(self, *, org: str = "acme", token: str = "sentry-api-token", now: Callable[[], datetime]) -> None:
        super().__init__()
        self.org, self.token, self.now = org, token, now
        self.errors: dict[str, int] = {}
        self.slow: dict[str, int] = {}
        self.page_size = 100
        self.remaining = 100

    def answer(self, request: Request) -> Reply:
        reset = str(int(self.now().timestamp()) + 37)
        limits = {"X-Sentry-Rate-Limit-Limit": "100", "X-Sentry-Rate-Limit-Reset": reset}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"detail": "Invalid token header. No credentials provided."})
        if request.path != f"/api/0/organizations/{self.org}/events/":
            return Reply(404, {"detail": "The requested resource does not exist"})
        if self.remaining <= 0:
            detail = "You are attempting to use this endpoint too frequently. Limit is 100 requests in 60 seconds"
            return Reply(429, {"detail": detail}, {**limits, "X-Sentry-Rate-Limit-Remaining": "0"})
        self.remaining -= 1
        limits["X-Sentry-Rate-Limit-Remaining"] = str(self.remaining)
        q = request.query
        if not q.get("field"):
            return Reply(400, {"detail": "No columns selected"}, limits)
        if len(q.get("project", [])) > 1:
            return Reply(400, {"detail": "You cannot view events from multiple projects."}, limits)
        counts = self._counts(q)
        rows = [{"project": p, "count()": n} for p, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n]
        per_page = min(int(q.get("per_page", ["100"])[0]), 100, self.page_size)
        offset = int(q.get("cursor", ["0:0:0"])[0].split(":")[1])
        page = rows[offset : offset + per_page]
        more = offset + per_page < len(rows)
        body = {"data": page, "meta": {"fields": {"project": "string", "count()": "integer"}, "units": {}}}
        return Reply(200, body, {**limits, "Link": self._link(request, offset, per_page, more)})

    def _counts(self, q: dict[str, list[str]]) -> dict[str, int]:
        dataset = q.get("dataset", ["discover"])[0]
        source = self.slow if dataset == "spans" else self.errors
        if dataset == "spans" and "is_transaction:true" not in q.get("query", [""])[0]:
            source = {}
        wanted = q.get("project")
        return {p: n for p, n in source.items() if not wanted or p in wanted}

    def _link(self, request: Request, offset: int, per_page: int, more: bool) -> str:
        def url(cursor: str) -> str:
            query = {k: v for k, v in request.query.items() if k != "cursor"} | {"cursor": [cursor]}
            return f"{self.url}{request.path}?{urlencode(query, doseq=True)}"

        prev_cursor, next_cursor = f"0:{max(offset - per_page, 0)}:1", f"0:{offset + per_page}:0"
        return (
            f'<{url(prev_cursor)}>; rel="previous"; results="{str(offset > 0).lower()}"; cursor="{prev_cursor}", '
            f'<{url(next_cursor)}>; rel="next"; results="{str(more).lower()}"; cursor="{next_cursor}"'
        )


class HetrixToolsAPI(FakeAPI):
    """`GET /v3/uptime-monitors` as HetrixTools v3 answers: Bearer key, `per_page` 1–200 and `page`,
    `meta.pagination`, the six `ratelimit-*` headers, 429/401 JSON bodies, and 401 for unknown paths."""

    def __init__(self, *, key: str = "hetrix-api-key", now: Callable[[], datetime]) -> None:
        super().__init__()
        self.key, self.now = key, now
        self.monitors: list[dict[str, Any]] = load_fixture("hetrixtools", "api_v3_uptime_monitors.json")["monitors"]
        self.remaining = {"user": 200, "endpoint": 100}

    def answer(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.key}" or request.path != "/v3/uptime-monitors":
            return Reply(401, load_fixture("hetrixtools", "api_v3_error_401.json"))
        if min(self.remaining.values()) <= 0:
            return Reply(429, load_fixture("hetrixtools", "api_v3_error_429.json"), self._limits())
        for scope in self.remaining:
            self.remaining[scope] -= 1
        per_page, page = int(request.query.get("per_page", ["20"])[0]), int(request.query.get("page", ["1"])[0])
        if not 1 <= per_page <= 200 or not 1 <= page <= 10000:
            return Reply(400, {"status": "bad_request", "message": "invalid pagination"}, self._limits())
        last = max((len(self.monitors) + per_page - 1) // per_page, 1)
        chunk = self.monitors[(page - 1) * per_page : page * per_page]
        pagination = {
            "current": page,
            "last": last,
            "previous": page - 1 if page > 1 else None,
            "next": page + 1 if page < last else None,
        }
        meta = {"total": len(self.monitors), "total_filtered": len(self.monitors), "returned": len(chunk)}
        return Reply(200, {"monitors": chunk, "meta": {**meta, "pagination": pagination}}, self._limits())

    def _limits(self) -> dict[str, str]:
        reset = str(int(self.now().timestamp()) + 42)
        headers = {}
        for scope, limit in (("user", 200), ("endpoint", 100)):
            headers[f"ratelimit-limit-{scope}"] = str(limit)
            headers[f"ratelimit-remaining-{scope}"] = str(max(self.remaining[scope], 0))
            headers[f"ratelimit-reset-{scope}"] = reset
        return headers

    def monitor(self, index: int, **changes: Any) -> dict[str, Any]:
        self.monitors[index] = {**self.monitors[index], **changes}
        return self.monitors[index]


@dataclass
class PageViews:
    """Page views the GA4 stand-in knows, in one property-local hour."""

    hour: datetime
    views: int
    path: str = "/"
    title: str = "Home - Example"


class GA4API(FakeAPI):
    """The Data API v1beta's runReport and runRealtimeReport as the REST client meets them: camelCase
    JSON, enums as integers (`$alt=json;enum-encoding=int`), metric values as strings, `rows` left out
    when empty, dates (`NdaysAgo`, `yesterday`, `today`) and `dateHour` in the property's time zone,
    and the filters the poller sends (and/or groups, inList, string matches, regexes)."""

    def __init__(self, *, property_id: str = "123456", zone: str = "Europe/Paris", now: Callable[[], datetime]) -> None:
        super().__init__()
        self.property_id, self.zone, self.now = property_id, ZoneInfo(zone), now
        self.views: list[PageViews] = []
        self.realtime_users = 0
        self.realtime_views = 0

    def answer(self, request: Request) -> Reply:
        match = re.fullmatch(r"/v1beta/properties/(\d+):(runReport|runRealtimeReport)", request.path)
        if request.method != "POST" or not match:
            return Reply(404, _google_error(404, "Method not found.", "NOT_FOUND"))
        if match.group(1) != self.property_id:
            return Reply(403, _google_error(403, "User does not have sufficient permissions.", "PERMISSION_DENIED"))
        body = request.json()
        if match.group(2) == "runRealtimeReport":
            return Reply(200, self._realtime(body))
        return Reply(200, self._report(body))

    def _realtime(self, body: dict[str, Any]) -> dict[str, Any]:
        names = [m["name"] for m in body["metrics"]]
        values = {"activeUsers": self.realtime_users, "screenPageViews": self.realtime_views}
        out: dict[str, Any] = {
            "metricHeaders": [{"name": n, "type": "TYPE_INTEGER"} for n in names],
            "kind": "analyticsData#runRealtimeReport",
        }
        if any(values[n] for n in names):
            out["rows"] = [{"metricValues": [{"value": str(values[n])} for n in names]}]
            out["rowCount"] = 1
        return out

    def _report(self, body: dict[str, Any]) -> dict[str, Any]:
        dims = [d["name"] for d in body.get("dimensions", [])]
        first, last = (self._date(body["dateRanges"][0][k]) for k in ("startDate", "endDate"))
        totals: dict[tuple[str, ...], int] = {}
        for fact in self.views:
            values = _dimensions(fact)
            if first <= fact.hour.date() <= last and _passes(body.get("dimensionFilter"), values):
                key = tuple(values[d] for d in dims)
                totals[key] = totals.get(key, 0) + fact.views
        out: dict[str, Any] = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": "screenPageViews", "type": "TYPE_INTEGER"}],
            "metadata": {"currencyCode": "USD", "timeZone": str(self.zone)},
            "kind": "analyticsData#runReport",
        }
        if totals:
            out["rowCount"] = len(totals)
            out["rows"] = [
                {"dimensionValues": [{"value": v} for v in key], "metricValues": [{"value": str(n)}]}
                for key, n in sorted(totals.items())
            ]
        return out

    def _date(self, text: str) -> date:
        today = self.now().astimezone(self.zone).date()
        if text == "today":
            return today
        if text == "yesterday":
            return today - timedelta(days=1)
        if text.endswith("daysAgo"):
            return today - timedelta(days=int(text.removesuffix("daysAgo")))
        return date.fromisoformat(text)


def _dimensions(fact: PageViews) -> dict[str, str]:
    return {
        "date": f"{fact.hour:%Y%m%d}",
        "hour": f"{fact.hour:%H}",
        "dateHour": f"{fact.hour:%Y%m%d%H}",
        "pagePath": fact.path,
        "pageTitle": fact.title,
    }


# Filter.StringFilter.MatchType: the REST client sends integers; the fixtures use names.
_MATCH_TYPES = ["EXACT", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "FULL_REGEXP", "PARTIAL_REGEXP"]


def _passes(expression: dict[str, Any] | None, values: dict[str, str]) -> bool:
    if not expression:
        return True
    if "andGroup" in expression:
        return all(_passes(e, values) for e in expression["andGroup"]["expressions"])
    if "orGroup" in expression:
        return any(_passes(e, values) for e in expression["orGroup"]["expressions"])
    if "notExpression" in expression:
        return not _passes(expression["notExpression"], values)
    f = expression["filter"]
    value = values[f["fieldName"]]
    if "inListFilter" in f:
        return value in f["inListFilter"]["values"]
    sf = f["stringFilter"]
    kind = sf["matchType"] if isinstance(sf["matchType"], str) else _MATCH_TYPES[sf["matchType"] - 1]
    pattern, insensitive = sf["value"], not sf.get("caseSensitive", False)
    if kind.endswith("REGEXP"):
        search = re.fullmatch if kind == "FULL_REGEXP" else re.search
        return search(pattern, value, re.IGNORECASE if insensitive else 0) is not None
    if insensitive:
        value, pattern = value.lower(), pattern.lower()
    return {
        "EXACT": value == pattern,
        "BEGINS_WITH": value.startswith(pattern),
        "ENDS_WITH": value.endswith(pattern),
        "CONTAINS": pattern in value,
    }[kind]


def _google_error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def hours_back(now: datetime, zone: str, hours: int) -> Iterator[datetime]:
    """Property-local hour starts, newest first."""
    local = now.astimezone(ZoneInfo(zone)).replace(minute=0, second=0, microsecond=0)
    for i in range(hours):
        yield local - timedelta(hours=i)


# --- driving pollers in tests ---------------------------------------------------------------------


def supervisor_for(
    hub: Hub,
    poller: Poller,
    *,
    interval: float = 60,
    timeout: float = 5,
    owner: str = "instance-a",
    seed: int = 7,
    sleep: Sleep | None = None,
) -> Supervisor:
    """A supervisor wired as `wire_pollers` wires it, with a seeded jitter and a private registry."""
    extra = {"sleep": sleep} if sleep else {}
    return Supervisor(
        poller,
        db=hub.db,
        ingest=lambda signals: hub.ingest.ingest(signals, known_rules_only=False),
        clock=hub.clock,
        schedule=Schedule(interval=timedelta(seconds=interval), timeout=timedelta(seconds=timeout)),
        owner=owner,
        metrics=PollerMetrics(CollectorRegistry()),
        loop_errors=hub.metrics.loop_errors,
        rng=random.Random(seed),
        **extra,
    )


async def alerts_of(hub: Hub, rule: str) -> dict[str, Alert]:
    """The alerts of one rule, keyed by their most telling label value."""
    found, _ = await hub.alerts.list(AlertFilter(rules=(rule,)), limit=500, cursor=None)
    keys = ("project", "monitor_id", "monitor", "mount", "nic", "property", "host")
    return {next((a.labels[k] for k in keys if k in a.labels), a.fingerprint): a for a in found}
