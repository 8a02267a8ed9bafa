"""SQLite is single-instance: the second process on a file refuses to start, a dead one never blocks."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from alerthub.store.instance_lock import InstanceLock, InstanceLockedError, sqlite_file
from support.processes import ServerProcess, free_port, run_cli, running, write_config


def test_second_holder_is_refused_with_the_database_named(tmp_path: Path) -> None:
    database = tmp_path / "alerthub.db"
    with InstanceLock(database), pytest.raises(InstanceLockedError) as refused:
        InstanceLock(database).acquire()
    message = str(refused.value)
    assert str(database) in message
    assert "PostgreSQL" in message


def test_released_lock_can_be_taken_again(tmp_path: Path) -> None:
    database = tmp_path / "alerthub.db"
    with InstanceLock(database):
        pass
    with InstanceLock(database):
        pass


def test_other_files_are_independent(tmp_path: Path) -> None:
    with InstanceLock(tmp_path / "a.db"), InstanceLock(tmp_path / "b.db"):
        pass


def test_lock_of_a_killed_process_is_gone(tmp_path: Path) -> None:
    database = tmp_path / "alerthub.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from alerthub.store.instance_lock import InstanceLock; "
            "InstanceLock(Path(sys.argv[1])).acquire(); print('held', flush=True); time.sleep(60)",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(InstanceLockedError, match=rf"pid {holder.pid}"):
            InstanceLock(database).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with InstanceLock(database):  # no stale lock after SIGKILL
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", None),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:////var/lib/alerthub/a.db", Path("/var/lib/alerthub/a.db")),
    ],
)
def test_only_sqlite_files_are_locked(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected


@pytest.mark.e2e
def test_second_serve_on_the_same_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    config = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}})
    with running(ServerProcess(config, tmp_path)) as first:
        second = run_cli("serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(free_port()))
        assert second.returncode == 1
        assert "already serving the SQLite database" in second.stderr
        assert str(tmp_path / "hub.db") in second.stderr
        # The first one is untouched and still takes alerts.
        body = {"rule_name": "system_cpu_high", "metric_data": {"metric_value": 99}}
        assert httpx.post(first.url + "/api/alerts/send", json=body, timeout=5).status_code == 202
