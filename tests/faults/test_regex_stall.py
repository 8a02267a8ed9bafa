"""A silence with a catastrophically backtracking regex cannot stall the hub: matchers are RE2 (linear
time, as Alertmanager's), so while an alert whose label the pattern chokes on is ingested, /healthz on
the same event loop still answers at once. With Python's backtracking `re`, `(a+)+$` against
`"a"*40 + "b"` takes hours, and every request waits behind it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from support.processes import ServerProcess, running, write_config

pytestmark = pytest.mark.e2e

PATHOLOGICAL = "(a+)+$"
CHOKES = "a" * 40 + "b"  # not matched: a backtracking engine tries every split of the a's first
HEALTH_BOUND = 0.1


def _config(tmp_path: Path) -> Path:
    settings = {
        "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        # A closed port: deliveries fail and retry, which is beside the point; the channel makes the
        # ingest flush its new group at once (group_wait 0), silences included.
        "channels": [{"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"}],
        "route": {"group_by": ["host"], "group_wait": "0s"},
    }
    return write_config(tmp_path / "alerthub.yaml", settings)


def _health_latency(http: httpx.Client) -> float:
    started = time.monotonic()
    try:
        answer = http.get("/healthz")
    except httpx.TimeoutException:
        return float("inf")
    assert answer.status_code == 200
    return time.monotonic() - started


def test_a_pathological_silence_regex_does_not_stall_the_hub(tmp_path: Path) -> None:
    server = ServerProcess(_config(tmp_path), tmp_path)
    with running(server), ThreadPoolExecutor(1) as pool, httpx.Client(base_url=server.url, timeout=1) as http:
        silence = {
            "matchers": [{"name": "host", "value": PATHOLOGICAL, "isRegex": True, "isEqual": True}],
            "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": "2999-01-01T00:00:00Z",
            "createdBy": "ops",
            "comment": "a regex that backtracks",
        }
        made = http.post("/api/silences", json=silence)
        assert made.status_code == 200, made.text
        assert _health_latency(http) < 1  # the connection is open and warm
        alerts = [{"labels": {"alertname": "Disk", "host": host}} for host in ("aaaa", CHOKES)]
        posted = pool.submit(httpx.post, server.url + "/api/v2/alerts", json=alerts, timeout=5)
        latencies = []
        for _ in range(10):
            latencies.append(_health_latency(http))
            time.sleep(0.05)
        assert max(latencies) < HEALTH_BOUND, latencies
        assert posted.result().status_code == 200
        # The silence was really applied during that ingest: the matched host is held back, the other is not.
        logged = http.get("/api/notifications").json()["notifications"]
        assert len(logged) == 2  # one group per host
        [held] = [n for n in logged if n["status"] == "suppressed"]
        assert held["reason"].startswith(f"silenced by {made.json()['silenceID']}")
        assert http.get(f"/api/alerts/{held['alert_ids'][0]}").json()["labels"]["host"] == "aaaa"
