"""Starting the two servers under test with identical routing, and reading their cost from /proc."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Routing:
    """The one route both servers get: every alert to the bench webhook, grouped by `group`."""

    group_wait: str
    group_interval: str
    repeat_interval: str = "1h"


THROUGHPUT = Routing(group_wait="30s", group_interval="5m")
END_TO_END = Routing(group_wait="0s", group_interval="1s")
# Reads measured on a quiet hub: no group falls due while the 100,000 alerts are listed.
QUIET = Routing(group_wait="1h", group_interval="1h", repeat_interval="4h")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout}s; log:\n{log.read_text()[-3000:]}")


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    workdir: Path
    cpu_at_start: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)
    # The database server's own CPU seconds (PostgreSQL's processes), when it runs apart from the hub.
    db_cpu: Callable[[], float] | None = None
    db_cpu_at_start: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The process and its descendants (uvicorn workers, when there are several)."""
        out, frontier = [], [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            out.append(pid)
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            frontier.extend(int(c) for c in children)
        return out

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
        return total

    def _status_kb(self, key: str) -> int:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def peak_rss_mb(self) -> float:
        return self._status_kb("VmHWM") / 1024

    def rss_mb(self) -> float:
        return self._status_kb("VmRSS") / 1024

    def mark(self) -> None:
        self.cpu_at_start = self.cpu_seconds()
        self.db_cpu_at_start = self.db_cpu() if self.db_cpu else 0.0

    def cpu_since_mark(self) -> float:
        return self.cpu_seconds() - self.cpu_at_start

    def db_cpu_since_mark(self) -> float | None:
        return self.db_cpu() - self.db_cpu_at_start if self.db_cpu else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_alertmanager(binary: str, routing: Routing, receiver_port: int) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="bench-am-"))
    config = workdir / "alertmanager.yml"
    config.write_text(
        f"""route:
  receiver: bench
  group_by: [alertname, group]
  group_wait: {routing.group_wait}
  group_interval: {routing.group_interval}
  repeat_interval: {routing.repeat_interval}
receivers:
  - name: bench
    webhook_configs:
      - url: http://127.0.0.1:{receiver_port}/alertmanager
        send_resolved: false
"""
    )
    port = free_port()
    log = workdir / "server.log"
    args = [
        binary,
        f"--config.file={config}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server("alertmanager", port, proc, workdir)
    _wait_ready(f"{server.base}/-/ready", proc, log)
    return server


def alerthub_config(routing: Routing, receiver_port: int, storage_url: str) -> str:
    return f"""storage:
  url: "{storage_url}"
server:
  max_alerts_per_request: 1000
channels:
  - name: bench
    type: webhook
    url: http://127.0.0.1:{receiver_port}/alerthub
    send_resolved: false
    # Unpaced, like Alertmanager's webhook: alerthub's default pace for webhooks (5/s, then digests)
    # protects real receivers and would measure the pacing, not the hub.
    rate_per_second: 1000000
    burst: 1000000
receivers:
  - name: bench
    channels: [bench]
route:
  receiver: bench
  group_by: [alertname, group]
  group_wait: {routing.group_wait}
  group_interval: {routing.group_interval}
  repeat_interval: {routing.repeat_interval}
"""


def _ticks(pid: int, *, reaped: bool = False) -> int:
    """utime + stime of `pid` (and, with `reaped`, of its children that have exited)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11 : 15 if reaped else 13])


def postgres_cpu(url: str) -> Callable[[], float]:
    """CPU seconds of the PostgreSQL server on this machine that `url` reaches: the postmaster, its
    processes now (backends, WAL writer, checkpointer, autovacuum) and those that have exited."""
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from alerthub.store.database import async_url

    async def postmaster_pid() -> int:
        """The parent of this connection's backend, read while the backend lives."""
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            backend = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            parent = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        await engine.dispose()
        return parent

    postmaster = asyncio.run(postmaster_pid())

    def seconds() -> float:
        total = _ticks(postmaster, reaped=True)
        for child in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split():
            try:
                total += _ticks(int(child))
            except OSError:
                continue
        return total / CLK_TCK

    return seconds


def start_alerthub(
    routing: Routing, receiver_port: int, storage_url: str | None = None, *, workers: int | None = None
) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="bench-alerthub-"))
    url = storage_url or f"sqlite:///{workdir / 'alerthub.db'}"
    config = workdir / "alerthub.yaml"
    config.write_text(alerthub_config(routing, receiver_port, url))
    port = free_port()
    log = workdir / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = [str(VENV_BIN / "alerthub"), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(workers)] if workers else []
    proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=workdir, env=env)
    server = Server("alerthub", port, proc, workdir, db_cpu=postgres_cpu(url) if storage_url else None)
    _wait_ready(f"{server.base}/readyz", proc, log)
    return server


def start_receiver() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "receiver.py"), str(port)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"ready":
        raise RuntimeError("the webhook receiver did not start")
    return proc, port
