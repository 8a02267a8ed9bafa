"""`alerthub db backup` of a real, serving SQLite hub while alerts keep arriving; the copy restores by
pointing `storage.url` at it and serving it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from support.processes import ServerProcess, run_cli, running, write_config

pytestmark = pytest.mark.e2e


def alert(host: str) -> dict[str, object]:
    return {"labels": {"alertname": "DiskFull", "host": host}, "annotations": {"note": "a busy host's disk " * 25}}


def alerts(prefix: str, n: int) -> list[dict[str, object]]:
    return [alert(f"{prefix}{i}") for i in range(n)]


class Writer(threading.Thread):
    """Posts one new alert after another; `accepted` holds the hosts answered 2xx, in order."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.accepted: list[str] = []
        self.failures: list[str] = []
        self.stop = threading.Event()

    def wait_for(self, accepted: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < accepted:
            assert time.monotonic() < deadline and self.is_alive(), (len(self.accepted), self.failures)
            time.sleep(0.01)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            i = 0
            while not self.stop.is_set():
                host = f"live{i}"
                response = http.post("/api/v2/alerts", json=[alert(host)])
                (self.accepted if response.is_success else self.failures).append(host)
                i += 1


def served_hosts(url: str) -> set[str]:
    hosts: set[str] = set()
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{url}/api/alerts", params=params, timeout=10).json()
        hosts |= {a["labels"]["host"] for a in page["alerts"]}
        cursor = page["next_cursor"]
        if not cursor:
            return hosts


def test_a_backup_under_writes_restores(tmp_path: Path) -> None:
    live = write_config(tmp_path / "live.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'live.db'}"}})
    copy = tmp_path / "backup" / "copy.db"
    copy.parent.mkdir()
    with running(ServerProcess(live, tmp_path, name="live")) as hub:
        for batch in range(10):
            assert httpx.post(f"{hub.url}/api/v2/alerts", json=alerts(f"old{batch}-", 500), timeout=30).is_success
        writer = Writer(hub.url)
        writer.start()
        writer.wait_for(20)
        before = list(writer.accepted)
        result = run_cli("db", "backup", str(copy), "--config", str(live), timeout=60)
        during = list(writer.accepted)
        writer.wait_for(len(during) + 20)  # the hub goes on taking alerts after the copy too
        writer.stop.set()
        writer.join(10)
    assert result.returncode == 0, result.stderr
    assert "backed up" in result.stdout
    assert writer.failures == [], "no write was refused while the copy ran"
    with sqlite3.connect(copy) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restored = write_config(tmp_path / "restored.yaml", {"storage": {"url": f"sqlite:///{copy}"}})
    with running(ServerProcess(restored, tmp_path, name="restored")) as hub:
        hosts = served_hosts(hub.url)
    assert {f"old{b}-{i}" for b in range(10) for i in range(500)} <= hosts
    live_hosts = {h for h in hosts if h.startswith("live")}
    assert set(before) <= live_hosts, "every alert answered 2xx before the backup began is in the copy"
    assert live_hosts <= set(during), "nothing the hub had not accepted by the end of the copy"
    # One snapshot: the live alerts in the copy are a prefix of the order they were accepted in.
    assert live_hosts == set(during[: len(live_hosts)])
    print(f"live alerts: {len(before)} before the copy, {len(during)} at its end, {len(live_hosts)} in it")
