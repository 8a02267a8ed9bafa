"""Loopback stand-ins for the APIs the pollers read: real HTTP servers (one thread each) that answer
as the real services document — their auth, pagination, rate-limit headers, 429 bodies and errors.

Each records the requests it got, can be switched to fail (`fail_with`), to hang (`delay`), or be
stopped altogether (a down service), so the pollers' failure paths meet real sockets.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from prometheus_client import CollectorRegistry

from alerthub.domain.alert import Alert
from alerthub.hub import Hub
from alerthub.ingest.poller import Poller, PollerMetrics, Schedule, Sleep, Supervisor
from alerthub.store.alert_queries import AlertFilter
from support.standins import LoopbackHTTPServer, Reply, Request, read_request, write_reply

FIXTURES = Path(__file__).parent.parent / "fixtures"


def load_fixture(source: str, name: str) -> Any:
    return json.loads((FIXTURES / source / name).read_text())


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

        self.server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
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
        request = read_request(handler, method, lower_headers=True)
        self.requests.append(request)
        if self.delay:
            self._released.wait(self.delay)
        # A text reply is a proxy's error page, say: its Content-Type comes in reply.headers.
        write_reply(handler, self.failure or self.answer(request), text_type=None, empty_type="application/json")


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
        self.global_views = True  # the organisation's plan lets one query span several projects
        self.ids: dict[str, int] = {}  # project slug -> numeric id, for `project=<id>`

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
        if not all(p.lstrip("-").isdigit() for p in q.get("project", [])):
            return Reply(400, {"detail": "Invalid project parameter. Values must be numbers."}, limits)
        wanted = self._wanted(q)
        if (wanted is not None and len(wanted) > 1) or (not self.global_views and wanted is None):
            return Reply(400, {"detail": "You cannot view events from multiple projects."}, limits)
        counts = self._counts(q, wanted)
        rows = [{"project": p, "count()": n} for p, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n]
        per_page = min(int(q.get("per_page", ["100"])[0]), 100, self.page_size)
        offset = int(q.get("cursor", ["0:0:0"])[0].split(":")[1])
        page = rows[offset : offset + per_page]
        more = offset + per_page < len(rows)
        body = {"data": page, "meta": {"fields": {"project": "string", "count()": "integer"}, "units": {}}}
        return Reply(200, body, {**limits, "Link": self._link(request, offset, per_page, more)})

    def _wanted(self, q: dict[str, list[str]]) -> set[str] | None:
        """Slugs asked for by numeric `project` ids or by `projectSlug`; None for all (or -1)."""
        ids, slugs = q.get("project", []), q.get("projectSlug", [])
        if (not ids and not slugs) or "-1" in ids:
            return None
        by_id = {str(i): slug for slug, i in self.ids.items()}
        return {by_id.get(i, f"#{i}") for i in ids} | set(slugs)

    def _counts(self, q: dict[str, list[str]], wanted: set[str] | None) -> dict[str, int]:
        dataset = q.get("dataset", ["discover"])[0]
        source = self.slow if dataset == "spans" else self.errors
        if dataset == "spans" and "is_transaction:true" not in q.get("query", [""])[0]:
            source = {}
        return {p: n for p, n in source.items() if wanted is None or p in wanted}

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
    """A supervisor wired as `poller_tasks` wires it, with a seeded jitter and a private registry."""
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
