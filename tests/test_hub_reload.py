"""The reloader in process: what a reload swaps and what it keeps, on both back ends. (Real processes,
SIGHUP and several instances: tests/e2e/test_reload.py.)"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from alerthub.config.models import Config
from alerthub.hub import Hub, load_config
from alerthub.hub_reload import ConfigSource, Loops, Reloader
from alerthub.services.credentials import Scope
from support.clock import FakeClock
from support.pipeline import dispatcher, fire, outbox

CHANNELS = [{"name": n, "type": "webhook", "url": f"http://127.0.0.1:9/{n}"} for n in ("old", "new")]
RULES = [{"name": n, "severity": "warning"} for n in ("before", "after", "counted")]


def written(path: Path, to: str, **extra: Any) -> Path:
    route = {"receiver": to, "group_by": ["alertname"], "group_wait": "0s"}
    path.write_text(yaml.safe_dump({"channels": CHANNELS, "rules": RULES, "route": route, **extra}), encoding="utf-8")
    return path


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return written(tmp_path / "alerthub.yaml", "old")


@pytest.fixture
def config(path: Path) -> Config:
    return load_config(path, env={})


def reloader(hub: Hub, path: Path, allowed: tuple[str, ...] = ()) -> Reloader:
    return Reloader(hub, Loops(hub, lambda name: name in allowed), ConfigSource(path, hub.config))


async def test_a_changed_route_applies_to_the_next_alert(hub: Hub, path: Path, clock: FakeClock) -> None:
    r = reloader(hub, path)
    await fire(hub, "before")
    written(path, "new")
    outcome = await r.reload("test")
    assert outcome.ok and outcome.restart_needed == ()
    clock.advance(1)
    await fire(hub, "after")
    await dispatcher(hub).run_once()
    assert [(row.rules, row.channel) for row in await outbox(hub)] == [(["before"], "old"), (["after"], "new")]


async def test_a_broken_file_changes_nothing_and_names_every_problem(hub: Hub, path: Path) -> None:
    r = reloader(hub, path)
    before = hub.config
    path.write_text("route:\n  receiver: old\n  group_wait: soon\n  group_interval: later\n", encoding="utf-8")
    outcome = await r.reload("test")
    assert not outcome.ok
    assert {p.location for p in outcome.problems} == {"route.group_wait", "route.group_interval"}
    assert hub.config is before
    assert b"alerthub_config_last_reload_successful 0.0" in hub.metrics.render({})
    written(path, "new")
    assert (await r.reload("test")).ok
    assert b"alerthub_config_last_reload_successful 1.0" in hub.metrics.render({})


async def test_settings_read_at_start_wait_for_a_restart_and_say_so(hub: Hub, path: Path) -> None:
    r = reloader(hub, path)
    port = hub.config.server.port
    written(path, "new", server={"port": port + 1}, auth={"loopback_ingest": "token"})
    outcome = await r.reload("test")
    assert outcome.ok and outcome.restart_needed == ("server", "auth")
    assert hub.config.server.port == port, "the running process keeps its socket"
    assert hub.config.route.receiver == "new", "the rest applies"


async def test_counters_survive_and_loops_are_replaced(hub: Hub, path: Path) -> None:
    r = reloader(hub, path, allowed=("dispatcher", "delivery"))
    r.loops.start()
    old_delivery, old_tasks = hub.delivery, {n: t for n, (_, t) in r.loops.running.items()}
    await fire(hub, "counted")
    hub.metrics.signals.labels("test").inc(5)
    written(path, "new")
    assert (await r.reload("test")).ok
    assert hub.delivery is not old_delivery
    assert set(r.loops.running) == {"dispatcher", "delivery"}
    assert all(t.done() for t in old_tasks.values()), "the old loops stopped"
    assert b'alerthub_signals_received_total{source="test"} 5.0' in hub.metrics.render({})
    await r.loops.stop()


async def test_reloads_one_at_a_time(hub: Hub, path: Path) -> None:
    r = reloader(hub, path)
    written(path, "new")
    outcomes = await asyncio.gather(*(r.reload(f"test {i}") for i in range(5)))
    assert all(o.ok for o in outcomes) and hub.config.route.receiver == "new"


async def test_post_reload_is_for_admins_only(hub: Hub, path: Path) -> None:
    from alerthub.api.app import create_app

    app = create_app(hub, migrate=False, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        assert (await client.post("/-/reload")).status_code == 409, "not started by serve: nothing to re-read"
        app.state.reloader = reloader(hub, path)
        tokens = {s: await app.state.auth.create_token(f"t-{s.value}", s) for s in (Scope.READ, Scope.ADMIN)}
        assert (await client.post("/-/reload")).status_code == 401
        read = await client.post("/-/reload", headers={"Authorization": f"Bearer {tokens[Scope.READ]}"})
        assert read.status_code == 403
        written(path, "new")
        admin = await client.post("/-/reload", headers={"Authorization": f"Bearer {tokens[Scope.ADMIN]}"})
        assert admin.status_code == 200 and admin.json() == {"status": "reloaded", "restart_needed": []}


async def test_a_message_link_acts_through_the_reloaded_configuration(
    hub: Hub, path: Path, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    """The one-click action pages outlive a reload: an acknowledgement from a link after it runs the new
    configuration's hooks (here: the escalation policy it added stops at once)."""
    from alerthub.domain.action_token import Action, ActionGrant
    from alerthub.store import escalations

    policy = [{"name": "page", "steps": [{"notify": ["receiver:ops"], "wait": "1h"}]}]
    written(
        path, "ops", receivers=[{"name": "ops", "channels": ["new"], "escalation": "page"}], escalation_policies=policy
    )
    assert (await reloader(hub, path).reload("test")).ok
    alert_id = await fire(hub, "before")
    assert await hub.escalator.run_once() == 1  # the first step; the next is an hour away
    async with hub.db.read() as conn:
        [esc] = await escalations.of_alert(conn, alert_id)
    assert esc.step == 1 and esc.next_at == clock() + timedelta(hours=1)
    codec = await client._transport.app.state.auth.action_codec()  # type: ignore[attr-defined]
    token = codec.encode(ActionGrant(alert_id, 1, Action.ACK, "kim", int(clock().timestamp()) + 3600))
    assert (await client.post(f"/actions/ack/{token}")).status_code == 200
    async with hub.db.read() as conn:
        [esc] = await escalations.of_alert(conn, alert_id)
    assert esc.next_at == clock()  # woken by the acknowledgement: the reloaded hooks ran


async def test_the_board_judges_inhibition_by_the_reloaded_rules(
    hub: Hub, path: Path, client: httpx.AsyncClient
) -> None:
    await fire(hub, "before")
    target = await fire(hub, "after")
    rule = {"source_matchers": ['alertname="before"'], "target_matchers": ['alertname="after"']}
    written(path, "old", inhibit_rules=[rule])
    assert (await reloader(hub, path).reload("test")).ok
    board = (await client.get("/", headers={"Accept": "text/html"})).text
    row = board[board.index(f'data-id="{target}"') :].split("</tr>", 1)[0]
    assert "inhibited" in row
