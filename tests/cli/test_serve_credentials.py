"""`alerthub serve` on a non-loopback address with no credentials: by default it refuses and exits; with
--wait-for-credentials (the container's entrypoint) it waits, says so, and starts once a token exists;
with ALERTHUB_ADMIN_TOKEN set it creates that token first and starts at once."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from support.processes import ServerProcess, run_cli, running, write_config

pytestmark = pytest.mark.e2e

TOKEN = "t" * 40
ANY_HOST = ("--host", "0.0.0.0")


def _config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}})


def test_without_credentials_it_waits_instead_of_exiting(tmp_path: Path) -> None:
    config = _config(tmp_path)
    server = ServerProcess(config, tmp_path, role="api", args=(*ANY_HOST, "--wait-for-credentials")).start()
    try:
        deadline = time.monotonic() + 20
        while "Waiting for one" not in server.log() and time.monotonic() < deadline:
            assert server.process is not None and server.process.poll() is None, server.log()
            time.sleep(0.2)
        assert "no API token or user exists" in server.log() and "Waiting for one" in server.log()
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.url + "/healthz", timeout=1)
        created = run_cli("tokens", "create", "--scope", "admin", "--name", "ops", "--config", str(config))
        assert created.returncode == 0, created.stderr
        server.wait_ready(20)
        token = created.stdout.strip()
        answer = httpx.get(server.url + "/api/alerts", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 200
    finally:
        server.stop()


def test_without_the_option_it_still_refuses_and_exits(tmp_path: Path) -> None:
    server = ServerProcess(_config(tmp_path), tmp_path, role="api", args=ANY_HOST).start()
    try:
        assert server.wait_exit(20) == 2
        assert "refusing to listen on 0.0.0.0" in server.log()
    finally:
        server.stop()


def test_the_admin_token_from_the_environment_protects_a_fresh_database(tmp_path: Path) -> None:
    config = _config(tmp_path)
    env = {"ALERTHUB_ADMIN_TOKEN": TOKEN}
    with running(ServerProcess(config, tmp_path, role="api", env=env, args=ANY_HOST)) as server:
        assert httpx.get(server.url + "/api/alerts", timeout=5).status_code == 401
        authorized = httpx.get(server.url + "/api/alerts", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert authorized.status_code == 200
        assert "created admin API token 'admin' from ALERTHUB_ADMIN_TOKEN" in server.log()
    # Started again: the database has credentials, so nothing is created, and the log says why.
    with running(ServerProcess(config, tmp_path, role="api", env=env, args=ANY_HOST, name="again")) as again:
        assert "left unused" in again.log()
    assert TOKEN not in server.log() + again.log()


def test_a_short_admin_token_is_a_start_up_error(tmp_path: Path) -> None:
    server = ServerProcess(_config(tmp_path), tmp_path, env={"ALERTHUB_ADMIN_TOKEN": "short"}).start()
    try:
        assert server.wait_exit(20) == 2
        assert "ALERTHUB_ADMIN_TOKEN: at least 24 characters" in server.log()
    finally:
        server.stop()
