"""SIGTERM: the server stops taking connections at once, finishes the request in flight, exits in bound."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from alerthub.store.database import Database
from alerthub.store.tables import notification
from support.processes import ServerProcess, running, write_config
from support.standins import Reply, Request, StandIn

pytestmark = pytest.mark.e2e

SHUTDOWN_TIMEOUT = 5
# docs/operations.md: a SIGTERM'd instance exits within server.shutdown_timeout plus 10 s for the
# background loops to put down what they hold; here nothing is stuck, so it is much faster.
EXIT_BOUND = SHUTDOWN_TIMEOUT + 10

# uvicorn re-raises the signal after its graceful shutdown, so the parent sees "terminated by SIGTERM",
# which systemd and Docker count as a clean stop; the log lines below prove the graceful path ran.
CLEAN_EXIT = (0, -signal.SIGTERM)

BODY = b'{"rule_name": "system_cpu_high", "metric_data": {"metric_value": 97, "additional_info": "in flight"}}'


def _refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def _config(tmp_path: Path) -> Path:
    settings = {
        "server": {"shutdown_timeout": f"{SHUTDOWN_TIMEOUT}s", "request_read_timeout": "20s"},
        "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
    }
    return write_config(tmp_path / "alerthub.yaml", settings)


def test_sigterm_finishes_the_request_in_flight_then_exits(tmp_path: Path) -> None:
    config = _config(tmp_path)
    server = ServerProcess(config, tmp_path)
    with running(server):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        head = b"POST /api/alerts/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        sock.sendall(head + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[:20])
        time.sleep(0.3)  # the request is now in the app, waiting for the rest of its body
        server.signal(signal.SIGTERM)
        signalled = time.monotonic()

        deadline = signalled + 3
        while not _refuses_connections(server.port):
            assert time.monotonic() < deadline, "still accepting connections 3 s after SIGTERM"
            time.sleep(0.05)

        sock.sendall(BODY[20:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        sock.close()
        assert answer.startswith(b"HTTP/1.1 202 "), answer
        assert b'"alert_id":1' in answer

        assert server.wait_exit(timeout=EXIT_BOUND) in CLEAN_EXIT
        assert time.monotonic() - signalled <= EXIT_BOUND
        assert "Application shutdown complete" in server.log()
        assert "Traceback" not in server.log()

    # The answered alert was committed before the answer: a fresh process on the same file has it.
    with running(ServerProcess(config, tmp_path, name="after")) as again:
        alerts = httpx.get(again.url + "/api/alerts", timeout=5).json()["alerts"]
    assert [(a["rule_name"], a["annotations"].get("summary")) for a in alerts] == [("system_cpu_high", "in flight")]


def test_idle_server_exits_promptly_on_sigterm(tmp_path: Path) -> None:
    server = ServerProcess(_config(tmp_path), tmp_path)
    with running(server):
        httpx.get(server.url + "/healthz", timeout=5)
        started = time.monotonic()
        server.signal(signal.SIGTERM)
        assert server.wait_exit(timeout=EXIT_BOUND) in CLEAN_EXIT
        assert "Application shutdown complete" in server.log()
        assert time.monotonic() - started < 5


class SlowReceiver(StandIn):
    """A webhook receiver that takes SLOW_SEND seconds to answer: a send is in flight that long."""

    def answer(self, request: Request) -> Reply:
        time.sleep(SLOW_SEND)
        return Reply(200, {"ok": True})


SLOW_SEND = 2.0


def _statuses(url: str) -> list[str]:
    async def run() -> list[str]:
        db = Database(url)
        try:
            async with db.read() as conn:
                return [row.status for row in (await conn.execute(select(notification.c.status))).all()]
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_sigterm_lets_a_notification_in_flight_finish_and_records_it(tmp_path: Path) -> None:
    receiver = SlowReceiver()
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    settings = {
        "server": {"shutdown_timeout": f"{SHUTDOWN_TIMEOUT}s"},
        "storage": {"url": url},
        "rules": [{"name": "sigterm_test", "thresholds": {"critical": 1}}],
        "channels": [{"name": "hook", "type": "webhook", "url": receiver.base_url + "/hook"}],
        "receivers": [{"name": "ops", "channels": ["hook"]}],
        "route": {"receiver": "ops", "group_wait": "0s"},
    }
    server = ServerProcess(write_config(tmp_path / "alerthub.yaml", settings), tmp_path)
    try:
        with running(server):
            body = {"rule_name": "sigterm_test", "metric_data": {"metric_value": 5}}
            assert httpx.post(server.url + "/api/alerts/send", json=body, timeout=5).status_code == 202
            deadline = time.monotonic() + 10
            while not receiver.requests:
                assert time.monotonic() < deadline, "the notification was never sent"
                time.sleep(0.02)
            server.signal(signal.SIGTERM)  # the receiver is still thinking about its answer
            signalled = time.monotonic()
            assert server.wait_exit(timeout=EXIT_BOUND) in CLEAN_EXIT
            assert time.monotonic() - signalled <= EXIT_BOUND
    finally:
        receiver.close()
    assert _statuses(url) == ["sent"], "the send in flight was finished and recorded before exit"
    assert len(receiver.requests) == 1
