"""Reload with no restart, against real `alerthub serve` processes: SIGHUP and `POST /-/reload` apply a
changed route to the next alert; a broken file is refused with its errors, the old configuration keeps
routing and the metrics say so; on PostgreSQL one `POST /-/reload` reaches every instance."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.databases import (
    create_session_database,
    drop_session_database,
    postgres_url,
    skip_or_fail_without_postgres,
)
from support.processes import ServerProcess, write_config
from support.standins import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def config(receiver: Receiver, storage: str, to: str) -> dict[str, Any]:
    channels = [{"name": n, "type": "webhook", "url": f"{receiver.base_url}/{n}"} for n in ("old", "new")]
    return {
        "storage": {"url": storage},
        "channels": channels,
        "route": {"receiver": to, "group_by": ["alertname"], "group_wait": "0s"},
    }


def fire(server: ServerProcess, name: str) -> None:
    answer = httpx.post(server.url + "/api/v2/alerts", json=[{"labels": {"alertname": name}}], timeout=10)
    assert answer.status_code == 200, answer.text


def delivered_to(receiver: Receiver, name: str, timeout: float = 15.0) -> str:
    """The path (`/old` or `/new`) the alert's notification came to."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for request in list(receiver.requests):
            if name.encode() in request.body:
                return request.path
        time.sleep(0.05)
    raise AssertionError(f"{name} was not delivered; the receiver got {[r.path for r in receiver.requests]}")


def wait_for_log(server: ServerProcess, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in server.log():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in the log of {server.url}:\n{server.log()[-3000:]}")


def reload_metric(server: ServerProcess) -> float:
    text = httpx.get(server.url + "/metrics", timeout=10).text
    [line] = [x for x in text.splitlines() if x.startswith("alerthub_config_last_reload_successful ")]
    return float(line.split()[1])


def test_sighup_and_post_reload_apply_a_changed_route(receiver: Receiver, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'alerthub.db'}"
    path = write_config(tmp_path / "alerthub.yaml", config(receiver, storage, "old"))
    server = ServerProcess(path, tmp_path)
    with ExitStack() as stack:
        stack.callback(server.stop)
        server.start().wait_ready()
        fire(server, "BeforeReload")
        assert delivered_to(receiver, "BeforeReload") == "/old"

        write_config(path, config(receiver, storage, "new"))
        server.signal(signal.SIGHUP)
        wait_for_log(server, "configuration reloaded (SIGHUP)")
        fire(server, "AfterSighup")
        assert delivered_to(receiver, "AfterSighup") == "/new"
        assert reload_metric(server) == 1

        broken = config(receiver, storage, "new")
        broken["route"] |= {"group_wait": "soon", "repeat_interval": "never"}
        write_config(path, broken)
        server.signal(signal.SIGHUP)
        wait_for_log(server, "configuration reload (SIGHUP) refused")
        assert "route.group_wait" in server.log() and "route.repeat_interval" in server.log()
        assert reload_metric(server) == 0
        fire(server, "WhileBroken")
        assert delivered_to(receiver, "WhileBroken") == "/new", "the running configuration stays"

        answer = httpx.post(server.url + "/-/reload", timeout=30)
        assert answer.status_code == 400
        assert {e["loc"] for e in answer.json()["errors"]} == {"route.group_wait", "route.repeat_interval"}

        write_config(path, config(receiver, storage, "old"))
        answer = httpx.post(server.url + "/-/reload", timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "reloaded", "restart_needed": []}
        assert reload_metric(server) == 1
        fire(server, "AfterPost")
        assert delivered_to(receiver, "AfterPost") == "/old"
        assert server.process is not None and server.process.poll() is None, "no restart"


@pytest.mark.postgres
def test_one_post_reload_reaches_every_instance(receiver: Receiver, tmp_path: Path) -> None:
    base = postgres_url()
    if base is None:
        skip_or_fail_without_postgres()
    database = create_session_database(base)
    try:
        path = write_config(tmp_path / "alerthub.yaml", config(receiver, database, "old"))
        a, b = ServerProcess(path, tmp_path, name="a"), ServerProcess(path, tmp_path, name="b")
        with ExitStack() as stack:
            for server in (a, b):
                stack.callback(server.stop)
                server.start()
            for server in (a, b):
                server.wait_ready()
            write_config(path, config(receiver, database, "new"))
            answer = httpx.post(a.url + "/-/reload", timeout=30)
            assert answer.status_code == 200, answer.text
            wait_for_log(b, "configuration reloaded (asked by another instance")
            fire(b, "SentToB")
            assert delivered_to(receiver, "SentToB") == "/new"
    finally:
        drop_session_database(base, database)
