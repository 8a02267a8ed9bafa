"""`server.workers`: one `alerthub serve` of several worker processes on one port and one PostgreSQL
database. Real processes, a real webhook receiver, real signals: every alert notified once whichever
worker took it, /metrics counting all of them, and the server standing or falling as one."""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from alerthub.serving_processes import _sockets_dir
from support.processes import ServerProcess, run_cli, running, write_config
from support.standins import Receiver

pytestmark = [pytest.mark.e2e]

WORKERS = 3


def _config(database: str, receiver: Receiver) -> dict[str, Any]:
    return {
        "storage": {"url": database},
        "rules": [{"name": "load_test", "thresholds": {"critical": 1}}],
        "channels": [
            {"name": "hook", "type": "webhook", "url": receiver.base_url + "/hook", "rate_per_second": 1000,
             "burst": 1000},
        ],
        "receivers": [{"name": "ops", "channels": ["hook"]}],
        "route": {"receiver": "ops", "group_by": ["host"], "group_wait": "0s", "group_interval": "1s",
                  "repeat_interval": "24h"},
    }  # fmt: skip


def _workers(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def _send(url: str, host: str) -> int:
    # A connection per alert, so the kernel spreads them over the workers.
    body = {"rule_name": "load_test", "metric_data": {"metric_value": 5}, "labels": {"host": host}}
    return httpx.post(url + "/api/alerts/send", json=body, timeout=10).status_code


def _sample(metrics: str, name: str) -> float:
    values = [float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(name + " ")]
    assert len(values) == 1, f"{name} in:\n{metrics[:2000]}"
    return values[0]


def _signals(metrics: str) -> float:
    lines = [line for line in metrics.splitlines() if line.startswith("alerthub_signals_received_total{")]
    return sum(float(line.split()[-1]) for line in lines)


def _delivered(receiver: Receiver) -> collections.Counter[str]:
    with receiver.lock:
        requests = list(receiver.requests)
    return collections.Counter(item["labels"]["host"] for r in requests for item in r.json()["alerts"])


@pytest.fixture
def receiver() -> Any:
    hook = Receiver()
    yield hook
    hook.close()


@pytest.mark.postgres
def test_workers_share_the_port_and_notify_each_alert_once(database: str, receiver: Receiver, tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", _config(database, receiver))
    server = ServerProcess(config, tmp_path, args=("--workers", str(WORKERS)))
    with running(server):
        assert server.process is not None
        workers = _workers(server.process.pid)
        assert len(workers) == WORKERS
        hosts = [f"host-{i}" for i in range(150)]
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(lambda h: _send(server.url, h), hosts)) == {202}
        deadline = time.monotonic() + 20
        while set(_delivered(receiver)) != set(hosts) and time.monotonic() < deadline:
            time.sleep(0.1)
        # Each scrape lands on some worker; every one of them must report the whole server.
        scrapes = [httpx.get(server.url + "/metrics", timeout=10).text for _ in range(8)]
        # And each worker's own count, read from its socket as its siblings read it: the kernel spread them.
        own = [_signals(_own_exposition(pid)) for pid in workers]
    assert _delivered(receiver) == dict.fromkeys(hosts, 1)
    for text in scrapes:
        assert _signals(text) == len(hosts)
        assert _sample(text, "alerthub_metrics_workers_missing") == 0
        assert _sample(text, "alerthub_open_alerts" + '{severity="critical"}') == len(hosts)
    assert sum(own) == len(hosts) and all(n > 0 for n in own), f"alerts taken per worker: {own}"
    assert server.wait_exit(timeout=1) == 0
    assert not any(_alive(pid) for pid in workers)
    assert f"workers={WORKERS}" in server.log()


def _own_exposition(pid: int) -> str:
    """What the worker `pid` answers on its metrics socket: the Unix socket among its descriptors."""
    inodes = {
        link.removeprefix("socket:[").removesuffix("]")
        for link in (os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir())
        if link.startswith("socket:[")
    }
    paths = [
        fields[7]
        for fields in (line.split() for line in Path("/proc/net/unix").read_text().splitlines()[1:])
        if len(fields) == 8 and fields[6] in inodes and "alerthub-workers-" in fields[7]
    ]
    assert len(paths) == 1, paths
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(paths[0])
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


@pytest.mark.postgres
def test_a_worker_that_dies_takes_the_server_down(database: str, receiver: Receiver, tmp_path: Path) -> None:
    """Running on fewer workers than configured would be a silent failure: the supervisor stops."""
    config = write_config(tmp_path / "alerthub.yaml", _config(database, receiver))
    server = ServerProcess(config, tmp_path, args=("--workers", "2"))
    with running(server):
        assert server.process is not None
        first, second = _workers(server.process.pid)
        os.kill(first, signal.SIGKILL)
        assert server.wait_exit(timeout=30) == 1
    assert not _alive(second)
    assert f"worker 0 (pid {first}) exited with status -9: stopping the server" in server.log()


@pytest.mark.postgres
def test_workers_die_with_a_killed_parent(database: str, receiver: Receiver, tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", _config(database, receiver))
    server = ServerProcess(config, tmp_path, args=("--workers", "2"))
    with running(server):
        assert server.process is not None
        workers = _workers(server.process.pid)
        server.signal(signal.SIGKILL)
        server.wait_exit(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
        # Nobody answers: refused, or (seen once in CI) reset by whatever took the freed port meanwhile.
        with pytest.raises((httpx.ConnectError, httpx.ReadError)):
            httpx.get(server.url + "/healthz", timeout=2)


def test_sqlite_refuses_several_workers(tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'a.db'}"}})
    refused = run_cli("serve", "--config", str(config), "--workers", "2", "--port", "1")
    assert refused.returncode == 2
    assert "server.workers: 2 worker processes need PostgreSQL (storage.url); SQLite takes 1" in refused.stderr
    in_file = write_config(
        tmp_path / "two.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'a.db'}"}, "server": {"workers": 2}}
    )
    checked = run_cli("check-config", "--config", str(in_file))
    assert checked.returncode != 0
    assert "server.workers" in checked.stdout + checked.stderr


@pytest.mark.postgres
def test_sighup_to_the_parent_reloads_every_worker(database: str, receiver: Receiver, tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", _config(database, receiver))
    server = ServerProcess(config, tmp_path, args=("--workers", "2"))
    reloaded = "alerthub_config_last_reload_success_timestamp_seconds"
    with running(server):
        # The server's figure is its workers' earliest: it moves only once every worker has reloaded. A
        # worker still starting answers no sibling's scrape yet: read the figure once both answer.
        deadline = time.monotonic() + 15
        while True:
            metrics = httpx.get(server.url + "/metrics", timeout=10).text
            if _sample(metrics, "alerthub_metrics_workers_missing") == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        started = _sample(metrics, reloaded)
        time.sleep(1.1)  # the timestamp has a resolution to beat
        server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = _sample(httpx.get(server.url + "/metrics", timeout=10).text, reloaded)
            if now > started and server.log().count("configuration reloaded") >= 2:
                break
            time.sleep(0.2)
        log = server.log()
    assert now > started, f"not every worker reloaded:\n{log[-3000:]}"
    assert log.count("configuration reloaded") == 2, log[-3000:]


def test_a_start_removes_the_sockets_a_killed_parent_left(tmp_path: Path) -> None:
    """A parent killed by SIGKILL leaves its workers' sockets directory: the next start removes it, and
    only that (a live server's, and anything not ours, stay)."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    left = tmp_path / f"alerthub-workers-{int(gone.stdout)}-abc"
    live = tmp_path / f"alerthub-workers-{os.getppid()}-def"
    earlier = tmp_path / "alerthub-workers-k2j4h_x"  # before the pid was in the name: not recognised
    for path in (left, live, earlier):
        path.mkdir()
        (path / "0.sock").touch()
    made = _sockets_dir(tmp_path)
    assert not left.exists() and live.exists() and earlier.exists()
    assert made.name.startswith(f"alerthub-workers-{os.getpid()}-") and made.stat().st_mode & 0o777 == 0o700
