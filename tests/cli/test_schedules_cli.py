"""`alerthub schedules list|override|remove`, run as a user runs it, against a real database file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from support.processes import run_cli, with_database, write_config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    handoff = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0).isoformat()
    written = write_config(
        tmp_path / "alerthub.yaml",
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
            "people": [{"name": "alice"}, {"name": "bob"}],
            "schedules": [
                {
                    "name": "primary",
                    "time_zone": "UTC",
                    "rotation": {"every": "30d", "handoff": handoff, "people": ["alice", "bob"]},
                }
            ],
        },
    )
    return with_database(written)


def test_override_list_and_remove(config: Path) -> None:
    before = run_cli("schedules", "list", "--config", str(config))
    assert before.returncode == 0, before.stderr
    assert before.stdout.startswith("primary: alice until ") and before.stdout.strip().endswith("then bob")

    added = run_cli("schedules", "override", "primary", "bob", "--for", "8h", "--by", "kim", "--config", str(config))
    assert added.returncode == 0, added.stderr
    override_id = added.stdout.strip()
    listed = run_cli("schedules", "list", "--config", str(config)).stdout
    assert listed.startswith("primary: bob until ") and "then alice" in listed.splitlines()[0]
    assert f"#{override_id}  bob  " in listed and "(set by kim)" in listed

    removed = run_cli("schedules", "remove", "primary", override_id, "--config", str(config))
    assert removed.returncode == 0 and f"removed {override_id}" in removed.stdout
    assert run_cli("schedules", "list", "--config", str(config)).stdout.startswith("primary: alice until ")
    again = run_cli("schedules", "remove", "primary", override_id, "--config", str(config))
    assert again.returncode == 1 and f"no override {override_id}" in again.stderr


def test_mistakes_are_named(config: Path) -> None:
    unknown = run_cli("schedules", "override", "primary", "carol", "--for", "1h", "--config", str(config))
    assert unknown.returncode == 1 and "no person named 'carol'" in unknown.stderr
    naive = run_cli("schedules", "override", "primary", "bob", "--end", "2030-01-01T09:00", "--config", str(config))
    assert naive.returncode == 2 and "needs its offset" in naive.stderr
    backwards = run_cli(
        "schedules",
        "override",
        "primary",
        "bob",
        "--start",
        "2030-01-02T00:00Z",
        "--end",
        "2030-01-01T00:00Z",
        "--config",
        str(config),
    )
    assert backwards.returncode == 1 and "body.end: must be after start" in backwards.stderr
    nowhere = run_cli("schedules", "override", "nightly", "bob", "--for", "1h", "--config", str(config))
    assert nowhere.returncode == 1 and "no schedule named 'nightly'" in nowhere.stderr
