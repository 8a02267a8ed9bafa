"""A real `alerthub serve` for browser and end-to-end tests: a subprocess on a free loopback port with
a temporary SQLite database and YAML config, ready when /readyz answers 200, always stopped at the end.

    with running_hub(tmp_path, {"channels": [...]}, users={"alice": "pw"}) as hub:
        httpx.get(hub.url + "/api/alerts", headers=hub.bearer)
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ALERTHUB = str(Path(sys.executable).parent / "alerthub")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningHub:
    url: str
    config_path: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def bearer(self) -> dict[str, str]:
        """Authorization for the first token made at start (admin unless asked otherwise)."""
        return {"Authorization": f"Bearer {next(iter(self.tokens.values()))}"} if self.tokens else {}

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return alerthub_cli(self.config_path, *args, stdin=stdin)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def alerthub_cli(config_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [ALERTHUB, *args, "--config", str(config_path)]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, check=False)


@contextmanager
def running_hub(
    workdir: Path,
    config: Mapping[str, Any] | None = None,
    *,
    users: Mapping[str, str] | None = None,
    tokens: Mapping[str, str] | None = None,
    ready_timeout: float = 30.0,
) -> Iterator[RunningHub]:
    """Start the hub. `users` (name -> password) and `tokens` (name -> scope) are created with the CLI
    before it starts, as a person would (after `alerthub db upgrade`, since only that and `serve` create
    the database)."""
    workdir.mkdir(parents=True, exist_ok=True)
    data = {"storage": {"url": f"sqlite:///{workdir / 'alerthub.db'}"}, **(config or {})}
    config_path = workdir / "alerthub.yaml"
    config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    made: dict[str, str] = {}
    if users or tokens:  # the CLI makes no database: create it first, as a person would
        done = alerthub_cli(config_path, "db", "upgrade")
        assert done.returncode == 0, done.stderr
    for name, password in (users or {}).items():
        done = alerthub_cli(config_path, "users", "add", name, "--password-stdin", stdin=password + "\n")
        assert done.returncode == 0, done.stderr
    for name, scope in (tokens or {}).items():
        done = alerthub_cli(config_path, "tokens", "create", "--scope", scope, "--name", name)
        assert done.returncode == 0, done.stderr
        made[name] = done.stdout.strip()
    port = free_port()
    log_path = workdir / f"serve-{port}.log"
    with log_path.open("ab") as log:
        command = [ALERTHUB, "serve", "--config", str(config_path), "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    hub = RunningHub(f"http://127.0.0.1:{port}", config_path, log_path, process, made)
    try:
        _wait_ready(hub, ready_timeout)
        yield hub
    finally:
        _stop(process)


def _wait_ready(hub: RunningHub, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"alerthub serve exited with {hub.process.returncode}:\n{hub.log()}")
        try:
            if httpx.get(hub.url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"alerthub serve was not ready within {timeout} s:\n{hub.log()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        # Open live streams hold a graceful shutdown for up to its timeout; a test need not wait for that.
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
