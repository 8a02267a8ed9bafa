"""The log: text with the `extra=` context, or one JSON object a line, at the configured level."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from alerthub.logs import configure_logging
from support.processes import ServerProcess, running, write_config


def test_text_lines_carry_the_extra_context(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("text", "info")
    logging.getLogger("alerthub.test").info("flushed %d groups", 3, extra={"group_key": "g-1", "owner": "a:1"})
    logging.getLogger("alerthub.test").debug("not shown at info")
    line = capsys.readouterr().err.strip()
    assert line.endswith("INFO alerthub.test flushed 3 groups group_key='g-1' owner='a:1'")


def test_json_is_one_object_a_line_with_the_context(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "warning")
    log = logging.getLogger("alerthub.test")
    log.info("below the level")
    log.warning("monitor failing", extra={"monitor": "sentry"})
    try:
        raise ValueError("bad\nline")
    except ValueError:
        log.exception("poll failed")
    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["message"] for r in records] == ["monitor failing", "poll failed"]
    assert records[0]["level"] == "WARNING" and records[0]["logger"] == "alerthub.test"
    assert records[0]["monitor"] == "sentry" and records[0]["time"].endswith("+00:00")
    assert "ValueError: bad\\nline" in lines[1] and "ValueError: bad\nline" in records[1]["exc_info"]


@pytest.mark.e2e
def test_serve_writes_json_lines_and_the_access_log(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "alerthub.yaml",
        {"storage": {"url": f"sqlite:///{tmp_path}/hub.db"}, "server": {"log_format": "json", "access_log": True}},
    )
    with running(ServerProcess(config, tmp_path)) as server:
        httpx.post(server.url + "/api/v2/alerts", json=[{"labels": {"alertname": "LogMe"}}], timeout=5)
    records = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    assert records, "no log lines"
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert any(r["logger"] == "uvicorn.access" and "POST /api/v2/alerts" in r["message"] for r in records)
    assert any(f"database sqlite:///{tmp_path}/hub.db" in r["message"] for r in records), "serve names its database"


@pytest.mark.e2e
def test_log_flags_override_the_file(tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{tmp_path}/hub.db"}})
    with running(ServerProcess(config, tmp_path, args=("--log-format", "json", "--log-level", "warning"))) as server:
        httpx.get(server.url + "/healthz", timeout=5)
    lines = [line for line in server.log().splitlines() if line.strip()]
    # At warning, start-up's info lines are gone; whatever is left is JSON.
    assert all(json.loads(line)["level"] in ("WARNING", "ERROR", "CRITICAL") for line in lines)
    assert not any("alerthub starting" in line for line in lines)


@pytest.mark.e2e
def test_text_log_by_default_names_the_start(tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{tmp_path}/hub.db"}})
    with running(ServerProcess(config, tmp_path)) as server:
        pass
    assert " INFO alerthub.serving alerthub starting: role=all" in server.log()
