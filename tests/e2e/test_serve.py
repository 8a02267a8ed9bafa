"""A real `alerthub serve` process: the make-run experience, and nothing lost to SIGKILL after a 2xx."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.databases import (
    create_session_database,
    drop_session_database,
    postgres_url,
    skip_or_fail_without_postgres,
)
from support.processes import ServerProcess, free_port, running, write_config
from support.seed import seed_payloads

pytestmark = pytest.mark.e2e

ALERTHUB = str(Path(sys.executable).parent / "alerthub")


@pytest.fixture
def default_server(tmp_path: Path) -> Iterator[str]:
    """`alerthub serve` with no config at all, in an empty directory, as `make run` starts it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALERTHUB_", "SMTP_", "DISCORD_"))}
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [ALERTHUB, "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    server = ServerProcess(tmp_path / "unused.yaml", tmp_path, port=port)
    server.process = process
    server.log_path = tmp_path / "serve.log"
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()
        log.close()


def test_seed_payloads_through_a_default_server(default_server: str, tmp_path: Path) -> None:
    for name, body in seed_payloads().items():
        answer = httpx.post(f"{default_server}/api/alerts/send", json=body, timeout=10)
        assert answer.status_code == 202, (name, answer.text)
    alerts = httpx.get(f"{default_server}/api/alerts", params={"limit": 100}, timeout=10).json()["alerts"]
    by_rule = {(a["rule_name"], a["labels"].get("project", "")): a for a in alerts}
    assert by_rule[("sentry_error_rate", "shop-frontend")]["severity"] == "critical"
    assert by_rule[("hetrixtools_downtime", "")]["state"] == "resolved"  # the recovery payload resolved it
    assert by_rule[("hetrixtools_uptime", "")]["labels"]["service"] == "Shop API"
    assert (tmp_path / "data" / "alerthub.db").exists(), "the default database lives at ./data/alerthub.db"


def _storage_urls() -> list[str]:
    return ["sqlite", "postgres"]


@pytest.fixture(params=_storage_urls())
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    base = postgres_url()
    if base is None:
        skip_or_fail_without_postgres()
    url = create_session_database(base)
    yield url
    drop_session_database(base, url)


def test_sigkill_right_after_2xx_loses_nothing(tmp_path: Path, storage_url: str) -> None:
    config = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": storage_url}})
    server = ServerProcess(config, tmp_path)
    acknowledged: set[str] = set()
    with running(server):
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for i in range(40):
                batch = [{"labels": {"alertname": "Crash", "n": f"{i}-{j}"}} for j in range(5)]
                if http.post("/api/v2/alerts", json=batch).status_code == 200:
                    acknowledged.update(f"{i}-{j}" for j in range(5))
            answer = http.post(
                "/api/alerts/send", json={"rule_name": "system_disk_high", "metric_data": {"metric_value": 99}}
            )
            assert answer.status_code == 202
            last_id = answer.json()["alert_id"]
        server.signal(signal.SIGKILL)
        server.wait_exit(10)
    restarted = ServerProcess(config, tmp_path, name="restarted")
    with running(restarted), httpx.Client(base_url=restarted.url, timeout=10) as http:
        stored = http.get("/api/alerts", params={"rule": "Crash", "limit": 1000}).json()["alerts"]
        assert {a["labels"]["n"] for a in stored} == acknowledged
        assert http.get(f"/api/alerts/{last_id}").json()["state"] == "firing"
