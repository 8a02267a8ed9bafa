"""`alerthub backtest` as a person runs it, in its own process, against a database filled through the real
ingest (both back ends): the printed table, `--json`, and clear errors for a bad `--since` or NEW file.
The scenario and its counts are the one of tests/services/test_backtest.py: 8 messages under the running
configuration, 6 with group_wait 1m (the api blip is never told), 4 with cpu's threshold at 95."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.hub import build_hub
from alerthub.store.database import Database
from support.backtest import fill, running_config
from support.clock import FakeClock
from support.processes import run_cli, write_config
from support.standins import StandIn


@pytest.fixture
def receiver() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()


@pytest.fixture
async def hub_files(db: Database, tmp_path: Path, receiver: StandIn) -> dict[str, str]:
    """The running configuration (ALERTHUB_CONFIG, as `serve` would find it) on a database whose log holds
    the scenario, 20 hours ago; and NEW files beside it."""
    running = running_config(receiver.base_url)
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=20))
    await fill(build_hub(Config.model_validate(running), clock=clock, db=db), clock)
    write_config(tmp_path / "alerthub.yaml", {**running, "storage": {"url": db.url}})
    write_config(tmp_path / "wait.yaml", {**running, "route": {**running["route"], "group_wait": "1m"}})
    rules = [r if r["name"] != "cpu_high" else {**r, "thresholds": {"warning": 95}} for r in running["rules"]]
    write_config(tmp_path / "threshold.yaml", {**running, "rules": rules})
    write_config(tmp_path / "bad.yaml", {**running, "route": {**running["route"], "group_wait": "soon"}})
    return {"ALERTHUB_CONFIG": str(tmp_path / "alerthub.yaml")}


def backtest(env: dict[str, str], tmp_path: Path, *args: str) -> Any:
    return run_cli("backtest", *args, env=env, cwd=tmp_path, timeout=120)


def cells(stdout: str, first: str) -> list[str]:
    """The cells of the table row that starts with `first`."""
    [row] = [line.split() for line in stdout.splitlines() if line.split()[:1] == [first]]
    return row


async def test_the_table_compares_a_changed_group_wait(
    hub_files: dict[str, str], tmp_path: Path, receiver: StandIn
) -> None:
    done = backtest(hub_files, tmp_path, "--since", "2d", "--config", "wait.yaml")
    assert done.returncode == 0, done.stderr
    assert "9 signals replayed, nothing sent" in done.stdout
    assert "after: wait.yaml" in done.stdout
    header = cells(done.stdout, "receiver")
    assert header[:5] == ["receiver", "channel", "before", "after", "change"]
    assert cells(done.stdout, "team")[:5] == ["team", "hook", "8", "6", "-2"]
    assert cells(done.stdout, "total")[:3] == ["total", "8", "6"]
    assert "rules that changed most:" in done.stdout
    assert cells(done.stdout, "api_down") == ["api_down", "2", "0", "-2"]
    assert "cpu_high" not in done.stdout.split("rules that changed most:")[1], "unchanged rules are not listed"
    assert receiver.requests == []


async def test_json_for_a_changed_threshold(hub_files: dict[str, str], tmp_path: Path) -> None:
    done = backtest(hub_files, tmp_path, "--since", "2d", "--config", "threshold.yaml", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["signals"] == 9
    assert report["configurations"]["new"] == "threshold.yaml"
    assert report["running"]["totals"]["messages"] == 8 and report["new"]["totals"]["messages"] == 4
    [hook] = report["channels"]
    assert (hook["receiver"], hook["channel"], hook["before"]["messages"], hook["after"]["messages"]) == (
        "team",
        "hook",
        8,
        4,
    )
    assert report["rules"][0] == {"rule": "cpu_high", "before": 4, "after": 0, "change": -4}
    assert {r["rule"]: r["change"] for r in report["rules"]} == {"cpu_high": -4, "api_down": 0, "db_down": 0}


async def test_without_new_it_counts_the_running_configuration(hub_files: dict[str, str], tmp_path: Path) -> None:
    done = backtest(hub_files, tmp_path, "--since", "2d")
    assert done.returncode == 0, done.stderr
    assert cells(done.stdout, "receiver")[:3] == ["receiver", "channel", "messages"]
    assert cells(done.stdout, "team")[:3] == ["team", "hook", "8"]
    assert "rules that changed most" not in done.stdout
    short = json.loads(backtest(hub_files, tmp_path, "--since", "1h", "--json").stdout)
    assert short["signals"] == 0 and short["new"] is None, "nothing was logged in the last hour"
    assert "no signal was logged in that span" in backtest(hub_files, tmp_path, "--since", "1h").stdout


@pytest.mark.parametrize("since", ["7x", "soon", "0s"])
async def test_a_bad_since_is_refused(hub_files: dict[str, str], tmp_path: Path, since: str) -> None:
    done = backtest(hub_files, tmp_path, "--since", since)
    assert done.returncode == 2
    assert done.stderr.startswith(f"alerthub backtest: --since '{since}': must be")
    assert done.stdout == ""


async def test_a_new_file_that_fails_validation_is_refused(hub_files: dict[str, str], tmp_path: Path) -> None:
    done = backtest(hub_files, tmp_path, "--since", "2d", "--config", "bad.yaml")
    assert done.returncode == 1
    assert "--config bad.yaml: configuration is invalid:" in done.stderr
    assert "route.group_wait" in done.stderr and "must be a duration" in done.stderr
    assert done.stdout == ""
    missing = backtest(hub_files, tmp_path, "--since", "2d", "--config", "nowhere.yaml")
    assert missing.returncode == 1 and "nowhere.yaml" in missing.stderr
