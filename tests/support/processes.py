"""Real `alerthub serve` processes for fault tests: started from a YAML config on a free loopback
port, logs captured to a file, always killed at the end even when a test fails."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

# The command the Dockerfile's ENTRYPOINT and the systemd unit run; tests/test_deploy_files.py checks it.
SERVE_COMMAND = ("alerthub", "serve")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, config: Mapping[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")
    return path


def _executable() -> str:
    script = Path(sys.executable).parent / SERVE_COMMAND[0]
    return str(script) if script.exists() else SERVE_COMMAND[0]


class ServerProcess:
    def __init__(
        self,
        config: Path,
        workdir: Path,
        *,
        role: str = "all",
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        name: str = "alerthub",
        args: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.args = args
        self.role = role
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ALERTHUB_", "SMTP_", "DISCORD_"))}
        self.env.update(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [
            _executable(),
            *SERVE_COMMAND[1:],
            "--config",
            str(self.config),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--role",
            self.role,
            *self.args,
        ]

    def start(self) -> ServerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        return self

    def wait_ready(self, timeout: float = 20.0, path: str = "/readyz") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"alerthub exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"alerthub on {self.url} not ready within {timeout}s:\n{self.log()}")

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


@contextmanager
def running(
    server: ServerProcess, *, ready_timeout: float = 20.0, ready_path: str = "/readyz"
) -> Iterator[ServerProcess]:
    server.start()
    try:
        server.wait_ready(ready_timeout, ready_path)
        yield server
    finally:
        server.stop()


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 30, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALERTHUB_")}
    return subprocess.run(
        [_executable(), *args], capture_output=True, text=True, timeout=timeout, env={**base, **(env or {})}, cwd=cwd
    )


def with_database(config: Path) -> Path:
    """Create the configured database as a person would before using the CLI (`alerthub db upgrade`):
    only that and `serve` create one."""
    done = run_cli("db", "upgrade", "--config", str(config))
    assert done.returncode == 0, done.stderr
    return config
