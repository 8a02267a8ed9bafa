"""Live pages across real `alerthub serve` processes on one PostgreSQL database: two `api` instances (A and
B, as behind a load balancer) and a `worker`. The page's own feed (`GET /api/events`, what the dashboard's
EventSource reads) on one instance shows, within a second, what another process changed: an alert sent to
A, acknowledged on B, resolved by the worker when its `endsAt` passed. Each page sees each change once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from support.processes import ServerProcess, write_config

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

WITHIN = 1.0  # the promise, in seconds
SWEEP_BOUND = 15 + 5  # the worker looks for passed `endsAt` every 15 s (services/sweeper.py)


class Page:
    """One open dashboard: reads an instance's event stream in a thread, noting when each event came."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.alerts: list[tuple[float, dict[str, Any]]] = []  # (time.time() on arrival, alert)
        self.other: list[str] = []
        self.ready = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=60))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self.ready.wait(10), f"no hello from {url}/api/events"

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self.url + "/api/events") as response:
                event = ""
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        self._note(event, line.removeprefix("data: "))
        except httpx.HTTPError:
            pass  # closed by the test

    def _note(self, event: str, data: str) -> None:
        if event == "hello":
            self.ready.set()
        elif event == "alert":
            self.alerts.append((time.time(), orjson.loads(data)))
        else:
            self.other.append(event)

    def wait_for(self, wanted: Callable[[dict[str, Any]], bool], timeout: float) -> float:
        """When the first alert matching `wanted` arrived (time.time())."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for arrived, alert in list(self.alerts):
                if wanted(alert):
                    return arrived
            time.sleep(0.01)
        raise AssertionError(f"{self.url}: not seen within {timeout}s; the page saw {self.alerts}")

    def seen(self, wanted: Callable[[dict[str, Any]], bool]) -> int:
        return sum(1 for _, alert in self.alerts if wanted(alert))

    def close(self) -> None:
        self._client.close()
        self._thread.join(5)


_PROCESSES = (("api", "a"), ("api", "b"), ("worker", "worker"))


def _config(database: str) -> dict[str, Any]:
    return {"storage": {"url": database}}


def test_a_change_on_any_process_reaches_the_pages_of_the_others(database: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", _config(database))
    with ExitStack() as stack:
        a, b, worker = (ServerProcess(config, tmp_path, role=r, name=n) for r, n in _PROCESSES)
        for server in (a, b, worker):  # started together: each takes seconds to import on a busy machine
            stack.callback(server.stop)
            server.start()
        for server in (a, b, worker):
            server.wait_ready()
        page_a, page_b = Page(a.url), Page(b.url)
        stack.callback(page_b.close)
        stack.callback(page_a.close)

        # Sent to A: B's page shows it firing within a second of A's answer.
        body = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 95.5}, "labels": {"host": "web-1"}}
        answer = httpx.post(a.url + "/api/alerts/send", json=body, timeout=10)
        answered = time.time()
        assert answer.status_code == 202
        alert_id = answer.json()["alert_id"]
        firing = _is(alert_id, "firing")
        assert page_b.wait_for(firing, WITHIN) - answered < WITHIN

        # Acknowledged on B: A's page shows it.
        answer = httpx.post(f"{b.url}/api/alerts/{alert_id}/ack", json={}, timeout=10)
        answered = time.time()
        assert answer.status_code == 200, answer.text
        acknowledged = _is(alert_id, "acknowledged")
        assert page_a.wait_for(acknowledged, WITHIN) - answered < WITHIN

        # Resolved by the worker (no re-send before endsAt), a process that serves no page: both show it.
        ends = datetime.now(UTC) + timedelta(seconds=1)
        scrape = [{"labels": {"alertname": "ScrapeDown", "job": "node"}, "endsAt": ends.isoformat()}]
        assert httpx.post(a.url + "/api/v2/alerts", json=scrape, timeout=10).status_code == 200
        resolved = _named("ScrapeDown", "resolved")
        arrived = page_b.wait_for(resolved, SWEEP_BOUND)
        [(_, alert)] = [(t, x) for t, x in page_b.alerts if resolved(x)]
        assert arrived - datetime.fromisoformat(alert["resolved_at"]).timestamp() < WITHIN
        page_a.wait_for(resolved, WITHIN)
        time.sleep(0.5)  # room for a duplicate to show up

    for page in (page_a, page_b):
        assert page.seen(firing) == page.seen(acknowledged) == page.seen(resolved) == 1, page.alerts
        assert page.other == [], "a page was told to resync"


def _is(alert_id: int, state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda alert: alert["id"] == alert_id and alert["state"] == state


def _named(rule: str, state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda alert: alert["rule_name"] == rule and alert["state"] == state
