"""`alerthub alerts list|ack|resolve`, run as a user runs it, against a real database file: the open alerts
newest first, an acknowledgement recorded as the person who typed it (with its notice queued for the
channel that was told), a resolution, and mistakes that say what is wrong."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from alerthub.domain.signal import Signal
from alerthub.hub import build_hub, load_config
from alerthub.store.database import Database
from alerthub.store.tables import notification
from support.processes import run_cli, with_database, write_config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    written = write_config(
        tmp_path / "alerthub.yaml",
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
            "channels": [{"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"}],
            "route": {"group_wait": "0s", "group_by": ["host"]},
            "rules": [{"name": "disk_full", "thresholds": {"critical": 90, "warning": 80}}],
        },
    )
    return with_database(written)


def fire(config: Path, *hosts: str) -> list[int]:
    async def run() -> list[int]:
        db = Database(load_config(config).storage.url)
        try:
            hub = build_hub(load_config(config), db=db)
            results = await hub.ingest.ingest(
                [Signal("disk_full", "test", value=95, labels={"host": h}) for h in hosts]
            )
            return [r.alert_id or 0 for r in results]
        finally:
            await db.dispose()

    return asyncio.run(run())


def kinds(config: Path) -> list[str]:
    async def run() -> list[str]:
        db = Database(load_config(config).storage.url)
        try:
            async with db.read() as conn:
                return [r.kind for r in (await conn.execute(select(notification.c.kind))).all()]
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_list_ack_and_resolve(config: Path) -> None:
    first, second = fire(config, "web-1", "web-2")
    listed = run_cli("alerts", "list", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and all(" firing " in line and " critical " in line for line in lines)
    assert {f"#{first} ", f"#{second} "} == {line.split(" ", 1)[0] + " " for line in lines}
    assert "disk_full — web-1" in listed.stdout

    acked = run_cli("alerts", "ack", str(first), "--by", "kim", "-m", "on it", "--config", str(config))
    assert acked.returncode == 0, acked.stderr
    assert acked.stdout.startswith(f"#{first}  acknowledged") and "(acknowledged by kim)" in acked.stdout
    assert kinds(config).count("acknowledged") == 1  # the channel that was told gets the notice

    resolved = run_cli("alerts", "resolve", str(second), "--by", "kim", "--config", str(config))
    assert resolved.returncode == 0 and f"#{second}  resolved" in resolved.stdout
    still_open = run_cli("alerts", "list", "--config", str(config)).stdout.splitlines()
    assert [line.split()[0] for line in still_open] == [f"#{first}"]
    everything = run_cli("alerts", "list", "--state", "resolved", "--config", str(config)).stdout
    assert f"#{second}" in everything and f"#{first}" not in everything


def test_mistakes_are_named(config: Path) -> None:
    [alert_id] = fire(config, "web-1")
    assert run_cli("alerts", "resolve", str(alert_id), "--config", str(config)).returncode == 0
    again = run_cli("alerts", "ack", str(alert_id), "--config", str(config))
    assert again.returncode == 1 and "only a firing alert can be acknowledged" in again.stderr
    missing = run_cli("alerts", "resolve", "999999", "--config", str(config))
    assert missing.returncode == 1 and "no alert with id 999999" in missing.stderr
    wrong = run_cli("alerts", "list", "--state", "burning", "--config", str(config))
    assert wrong.returncode == 2 and "burning" in wrong.stderr
