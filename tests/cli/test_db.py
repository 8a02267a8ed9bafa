"""`alerthub db prune` against a database with half a year of history, on both back ends, and
`alerthub db backup` refusing what it must."""

from __future__ import annotations

import os
import pty
import select as selectors
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerthub.hub import build_hub
from alerthub.store import monitors
from alerthub.store.database import Database
from support.clock import FakeClock
from support.history import History, build_history, history_config, snapshot
from support.processes import run_cli, write_config


@pytest.fixture
async def history(db: Database) -> History:
    """Built so that its day 200 is now: the command prunes with the real clock."""
    clock = FakeClock(datetime.now(UTC) - timedelta(days=200))
    return await build_history(build_hub(history_config(), clock=clock, db=db), clock)


def config_for(tmp_path: Path, db: Database) -> Path:
    return write_config(tmp_path / "hub.yaml", {"storage": {"url": db.url}})


async def test_dry_run_prints_what_would_go_and_deletes_nothing(history: History, db: Database, tmp_path: Path) -> None:
    before = await snapshot(history)
    result = run_cli("db", "prune", "--dry-run", "--config", str(config_for(tmp_path, db)))
    assert result.returncode == 0, result.stderr
    assert "would delete (dry run, nothing was deleted):" in result.stdout
    assert "2 alerts resolved before" in result.stdout and "with 12 history events" in result.stdout
    assert "9 delivered notifications" in result.stdout and "1 silences expired before" in result.stdout
    assert await snapshot(history) == before


async def test_prune_deletes_what_retention_says_in_batches(history: History, db: Database, tmp_path: Path) -> None:
    before = await snapshot(history)
    result = run_cli("db", "prune", "--batch-size", "2", "--config", str(config_for(tmp_path, db)))
    assert result.returncode == 0, result.stderr
    assert "deleted:" in result.stdout and "2 alerts resolved before" in result.stdout
    assert "9 delivered notifications" in result.stdout and "1 silences expired" in result.stdout
    after = await snapshot(history)
    assert after["alerts"] == ["b", "c", "d", "e", "g"], "firing, acknowledged, pending and recently resolved stay"
    assert after["silences"] == ["active", "recent"], "ended 4 days ago stays, 6 days ago goes"
    assert ("", 105, "pending") in after["notifications"], "a pending notification stays, however old"
    assert len(before["notifications"]) - len(after["notifications"]) == 9
    again = run_cli("db", "prune", "--config", str(config_for(tmp_path, db)))
    assert "  0 alerts resolved before" in again.stdout


async def test_prune_waits_for_no_one_while_another_instance_prunes(
    history: History, db: Database, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    async with db.write() as conn:
        await monitors.take_lease(conn, "retention", "worker-1", now, now + timedelta(minutes=5))
    before = await snapshot(history)
    result = run_cli("db", "prune", "--config", str(config_for(tmp_path, db)))
    assert result.returncode == 1
    assert "holds the 'retention' lease" in result.stderr
    assert await snapshot(history) == before


async def test_prune_shows_a_progress_bar_on_a_terminal(history: History, db: Database, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    command = [str(Path(sys.executable).parent / "alerthub"), "db", "prune", "--batch-size", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTHUB_")} | {"TERM": "xterm", "COLUMNS": "100"}
    process = subprocess.Popen(
        [*command, "--config", str(config_for(tmp_path, db))], stdout=follower, stderr=subprocess.PIPE, env=env
    )
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = selectors.select([leader], [], [], 30)
        try:
            chunk = os.read(leader, 4096) if ready else b""
        except OSError:  # the command exited and closed the terminal
            chunk = b""
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""
    text = output.decode(errors="replace")
    assert "pruning" in text and "━" in text, text  # Rich's bar, drawn while batches go
    assert "2 alerts resolved before" in text


def test_backup_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    config = write_config(tmp_path / "hub.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}})
    assert run_cli("db", "upgrade", "--config", str(config)).returncode == 0
    target = tmp_path / "copy.db"
    target.write_text("precious", encoding="utf-8")
    refused = run_cli("db", "backup", str(target), "--config", str(config))
    assert refused.returncode == 1 and "exists (give --force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "precious"
    forced = run_cli("db", "backup", str(target), "--force", "--config", str(config))
    assert forced.returncode == 0, forced.stderr
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    itself = run_cli("db", "backup", str(tmp_path / "hub.db"), "--force", "--config", str(config))
    assert itself.returncode == 1 and "is the database itself" in itself.stderr


def test_backup_on_postgresql_prints_the_pg_dump_line(tmp_path: Path) -> None:
    url = "postgresql://alerthub:s3cret@db.internal:5432/alerthub"
    config = write_config(tmp_path / "hub.yaml", {"storage": {"url": url}})
    result = run_cli("db", "backup", str(tmp_path / "hub.dump"), "--config", str(config))
    assert result.returncode == 1
    expected = (
        f"pg_dump --format=custom --file {tmp_path / 'hub.dump'} 'postgresql://alerthub@db.internal:5432/alerthub'"
    )
    assert expected in result.stdout
    assert "s3cret" not in result.stdout + result.stderr
