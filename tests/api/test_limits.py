"""Every limit answers a clear 4xx naming what and where, stores nothing; slow clients are cut off."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.ingest.limits import MAX_ANNOTATION_VALUE, MAX_LABEL_NAME, MAX_LABEL_VALUE, MAX_LABELS, MAX_RULE_NAME
from support.processes import ServerProcess, running, write_config

MAX_BODY = 4096
MAX_ALERTS = 5


@pytest.fixture
def config() -> Config:
    return Config.model_validate({"server": {"max_body_bytes": MAX_BODY, "max_alerts_per_request": MAX_ALERTS}})


def _send(labels: dict[str, str] | None = None, rule: str = "system_cpu_high", info: str = "x") -> dict[str, object]:
    return {"rule_name": rule, "metric_data": {"metric_value": 99, "additional_info": info}, "labels": labels or {}}


async def _assert_nothing_stored(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/alerts")).json()["alerts"] == []


def _locations(answer: httpx.Response) -> list[str]:
    return [e["loc"] for e in answer.json()["errors"]]


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/alerts/send", json=_send(info="x" * MAX_BODY))
    assert answer.status_code == 413
    assert f"{MAX_BODY} bytes" in answer.json()["detail"]
    await _assert_nothing_stored(client)


async def test_streamed_body_without_length_is_cut_at_the_limit(client: httpx.AsyncClient) -> None:
    async def chunks() -> object:
        for _ in range(10):
            yield b" " * 1024  # valid JSON whitespace, so only the size can reject it

    answer = await client.post("/api/alerts/send", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413


async def test_lying_content_length_is_400(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/api/alerts/send", content=b"{}", headers={"content-type": "application/json", "content-length": "x"}
    )
    assert answer.status_code == 400


async def test_too_many_alerts_in_one_request_is_413_and_stores_none(client: httpx.AsyncClient) -> None:
    alerts = [{"labels": {"alertname": f"a{i}"}} for i in range(MAX_ALERTS + 1)]
    answer = await client.post("/api/v2/alerts", json=alerts)
    assert answer.status_code == 413
    assert f"at most {MAX_ALERTS} alerts" in answer.text
    await _assert_nothing_stored(client)
    assert (await client.post("/api/v2/alerts", json=alerts[:MAX_ALERTS])).status_code == 200


async def test_too_many_labels_is_422_naming_labels(client: httpx.AsyncClient) -> None:
    labels = {f"l{i}": "v" for i in range(MAX_LABELS + 1)}
    answer = await client.post("/api/alerts/send", json=_send(labels))
    assert answer.status_code == 422
    assert "body.labels" in _locations(answer)
    assert f"at most {MAX_LABELS} labels" in answer.text
    await _assert_nothing_stored(client)


async def test_long_label_name_and_value_are_422(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/alerts/send", json=_send({"n" * (MAX_LABEL_NAME + 1): "v"}))
    assert answer.status_code == 422
    assert "body.labels" in _locations(answer)
    answer = await client.post("/api/alerts/send", json=_send({"host": "v" * (MAX_LABEL_VALUE + 1)}))
    assert answer.status_code == 422
    assert "body.labels.host" in _locations(answer)
    await _assert_nothing_stored(client)


async def test_long_rule_name_is_422(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/alerts/send", json=_send(rule="r" * (MAX_RULE_NAME + 1)))
    assert answer.status_code == 422
    assert any(loc.startswith("body.rule_name") for loc in _locations(answer))


async def test_one_bad_alert_in_a_batch_rejects_the_batch(client: httpx.AsyncClient) -> None:
    alerts = [{"labels": {"alertname": "ok"}}, {"labels": {"alertname": "bad", "x" * (MAX_LABEL_NAME + 1): "v"}}]
    answer = await client.post("/api/v2/alerts", json=alerts)
    assert answer.status_code == 422
    assert any(loc.startswith("body[1]") for loc in _locations(answer))
    await _assert_nothing_stored(client)


@pytest.mark.parametrize("config", [Config()], ids=["default-limits"])
async def test_long_human_text_is_kept_but_cut(client: httpx.AsyncClient, config: Config) -> None:
    answer = await client.post("/api/alerts/send", json=_send(info="é" * (MAX_ANNOTATION_VALUE + 500)))
    assert answer.status_code == 202
    alert = (await client.get(f"/api/alerts/{answer.json()['alert_id']}")).json()
    summary = alert["annotations"]["summary"]
    assert len(summary) == MAX_ANNOTATION_VALUE
    assert summary.endswith("…")


# Slow and half-open connections, against a real server: uvicorn alone would wait on them forever.

READ_TIMEOUT = 1.0
MAX_HEADERS = 4096


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("limits")
    settings = {
        "server": {"request_read_timeout": f"{READ_TIMEOUT}s", "keep_alive_timeout": "1s", "max_header_bytes": 4096},
        "storage": {"url": f"sqlite:///{workdir / 'hub.db'}"},
    }
    with running(ServerProcess(write_config(workdir / "alerthub.yaml", settings), workdir)) as process:
        yield process


def _connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT + 5)
    return sock


def _read_all(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (monotonic)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic()


def _read_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length, however the server split it into packets."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return data


@pytest.mark.e2e
def test_silent_connection_gets_408_and_is_closed(server: ServerProcess) -> None:
    with _connect(server) as sock:
        opened = time.monotonic()
        data, closed = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert READ_TIMEOUT - 0.2 <= closed - opened <= READ_TIMEOUT + 2


@pytest.mark.e2e
def test_slowloris_headers_are_cut_off(server: ServerProcess) -> None:
    with _connect(server) as sock:
        opened = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for i in range(20):  # one header every 0.2 s: each arrives well within any per-read timeout
            try:
                sock.sendall(b"X-%d: y\r\n" % i)
            except OSError:
                break
            time.sleep(0.2)
        data, closed = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert closed - opened <= READ_TIMEOUT + 2.5


@pytest.mark.e2e
def test_announced_body_never_sent_is_408_and_stores_nothing(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/alerts/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200\r\n\r\n" + b'{"rule_name": "system_cpu_high", '
        )
        data, _ = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert httpx.get(server.url + "/api/alerts", timeout=5).json()["alerts"] == []
    assert "Traceback" not in server.log()


@pytest.mark.e2e
def test_oversized_headers_are_431(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (MAX_HEADERS + 1) + b"\r\n\r\n")
        data, _ = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 431 ")


@pytest.mark.e2e
def test_idle_keep_alive_connection_is_closed_and_normal_requests_work(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # a second request on the same connection
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        idle_since = time.monotonic()
        rest, closed = _read_all(sock)
    assert rest == b""
    assert closed - idle_since <= 3


@pytest.mark.e2e
def test_connections_beyond_the_limit_get_503_and_service_resumes(tmp_path: Path) -> None:
    settings = {"server": {"max_connections": 3}, "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}}
    with running(ServerProcess(write_config(tmp_path / "alerthub.yaml", settings), tmp_path)) as server:
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
        idle = [_connect(server) for _ in range(3)]
        time.sleep(0.3)  # let the server accept them
        try:
            refused = httpx.get(server.url + "/healthz", timeout=5)
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.3)
        assert refused.status_code == 503
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200


def test_pipelined_requests_get_whole_responses_in_order(server: ServerProcess) -> None:
    """Responses are written coalesced (http_protocol.CoalescingTransport): several requests sent at once
    on one connection still get each its own whole response, in order, and `Connection: close` ends it."""
    requests = b"".join(
        b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path, b"Connection: close\r\n" if last else b"")
        for path, last in ((b"/healthz", False), (b"/nope", False), (b"/healthz", True))
    )
    with _connect(server) as sock:
        sock.sendall(requests)
        data, _ = _read_all(sock)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    assert statuses == [b"200", b"404", b"200"]
    assert data.count(b'{"status":"ok"}') == 2 and data.endswith(b'{"status":"ok"}')
