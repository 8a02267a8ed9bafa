"""Escalation in real `alerthub serve` processes, against the Discord stand-in: a SIGKILL between two steps
loses no step and repeats none (the steps are rows, not timers in memory), and two instances on one
PostgreSQL database page every step of every alert exactly once."""

from __future__ import annotations

import collections
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.processes import ServerProcess, running, write_config
from support.standins import DiscordStandIn

pytestmark = pytest.mark.e2e

PEOPLE = {"alice": "111111111111111111", "bob": "222222222222222222", "carol": "333333333333333333"}
BY_ID = {v: k for k, v in PEOPLE.items()}


@pytest.fixture
def discord() -> Iterator[DiscordStandIn]:
    server = DiscordStandIn(limit=10_000)  # every page its own countable message, none held by pacing
    yield server
    server.close()


def config(storage: str, discord: DiscordStandIn, wait: str, people: list[str]) -> dict[str, Any]:
    return {
        "storage": {"url": storage},
        "channels": [
            {"name": "discord", "type": "discord", "url": discord.url(), "rate_per_second": 1000, "burst": 1000}
        ],
        "people": [{"name": name, "discord_user_id": uid} for name, uid in PEOPLE.items()],
        "escalation_policies": [
            {"name": "critical", "steps": [{"notify": [f"person:{p}"], "wait": wait} for p in people]}
        ],
        "receivers": [{"name": "ops", "channels": ["discord"], "escalation": "critical"}],
        "route": {"receiver": "ops", "group_by": ["host"], "group_wait": "0s", "repeat_interval": "24h"},
        "delivery": {"lease": "3s"},
    }


def paged(discord: DiscordStandIn) -> collections.Counter[tuple[str, str]]:
    """(person, host) of every page Discord accepted."""
    found: collections.Counter[tuple[str, str]] = collections.Counter()
    for request, reply in discord.replies:
        body = request.json() if request.method == "POST" else {}
        if reply.status == 200 and "Page: " in body.get("content", ""):
            host = body["content"].rsplit("— ", 1)[-1]
            found.update((BY_ID[u], host) for u in body["allowed_mentions"]["users"])
    return found


def wait_for(check: Callable[[], bool], what: str, servers: list[ServerProcess], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(s.log()[-3000:] for s in servers))


def fire(server: ServerProcess, host: str) -> None:
    alert = {"labels": {"alertname": "disk_full", "severity": "critical", "host": host}}
    answer = httpx.post(f"{server.url}/api/v2/alerts", json=[alert], timeout=10)
    assert answer.status_code == 200, answer.text


def test_a_sigkill_between_two_steps_loses_no_step_and_repeats_none(tmp_path: Path, discord: DiscordStandIn) -> None:
    path = write_config(
        tmp_path / "alerthub.yaml", config(f"sqlite:///{tmp_path / 'hub.db'}", discord, "4s", ["alice", "bob"])
    )
    first = ServerProcess(path, tmp_path, name="first")
    with running(first):
        fire(first, "web-1")
        wait_for(lambda: paged(discord)[("alice", "web-1")] == 1, "the first step's page", [first])
        first.signal(signal.SIGKILL)  # the second step is due 4 s later: the process is gone by then
        first.wait_exit(10)
    time.sleep(5)
    assert paged(discord) == {("alice", "web-1"): 1}
    restarted = ServerProcess(path, tmp_path, name="restarted")
    with running(restarted):
        wait_for(lambda: paged(discord)[("bob", "web-1")] == 1, "the second step after the restart", [restarted])
        time.sleep(2)  # nothing else follows: the policy has no third step, the first is not taken again
    assert paged(discord) == {("alice", "web-1"): 1, ("bob", "web-1"): 1}


@pytest.mark.postgres
def test_two_instances_page_every_step_of_every_alert_once(
    tmp_path: Path, discord: DiscordStandIn, database: str
) -> None:
    people = ["alice", "bob", "carol"]
    path = write_config(tmp_path / "alerthub.yaml", config(database, discord, "1s", people))
    servers = [ServerProcess(path, tmp_path, name=name) for name in ("a", "b")]
    hosts = [f"web-{i}" for i in range(8)]
    with ExitStack() as stack:
        for server in servers:
            stack.enter_context(running(server))
        for i, host in enumerate(hosts):
            fire(servers[i % 2], host)
        expected = {(p, h): 1 for p in people for h in hosts}
        wait_for(lambda: set(paged(discord)) == set(expected), "every step of every alert", servers, timeout=60)
        time.sleep(3)  # the policies are exhausted: anything more would be a step taken twice
    assert paged(discord) == expected
