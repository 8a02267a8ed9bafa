"""`serve --role`: api answers HTTP and runs no loop; worker runs the loops and answers only health."""

from __future__ import annotations

import asyncio

import httpx

from alerthub.api.app import create_app
from alerthub.hub import BackgroundTask, Hub
from alerthub.roles import Role
from support.processes import run_cli

SEND = {"rule_name": "system_cpu_high", "metric_data": {"metric_value": 99}}


def _track(hub: Hub) -> list[str]:
    """Replace the hub's loops by probes: a worker loop and the API's own token-usage recorder."""
    started: list[str] = []

    def probe(name: str) -> BackgroundTask:
        async def loop(stop: asyncio.Event) -> None:
            started.append(name)
            await stop.wait()

        return loop

    hub.background = {"delivery": probe("delivery"), "token-usage": probe("token-usage")}
    return started


async def _serve(hub: Hub, role: Role) -> tuple[list[str], dict[str, int]]:
    app = create_app(hub, migrate=False, role=role)
    started = _track(hub)  # after create_app, which registers the real token-usage loop
    statuses: dict[str, int] = {}
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0)  # let the lifespan's tasks take their first step
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            statuses["send"] = (await http.post("/api/alerts/send", json=SEND)).status_code
            for path in ("/healthz", "/readyz", "/metrics", "/api/alerts", "/openapi.json"):
                statuses[path] = (await http.get(path)).status_code
    return started, statuses


async def test_api_role_serves_http_and_starts_no_worker_loop(hub: Hub) -> None:
    started, statuses = await _serve(hub, Role.API)
    assert started == ["token-usage"]  # only the loop that belongs to the HTTP side
    assert statuses["send"] == 202
    assert statuses["/api/alerts"] == 200


async def test_worker_role_runs_loops_and_answers_only_health(hub: Hub) -> None:
    started, statuses = await _serve(hub, Role.WORKER)
    assert "delivery" in started
    assert statuses["send"] == 404
    assert statuses["/api/alerts"] == 404
    assert statuses["/openapi.json"] == 404
    assert statuses["/healthz"] == statuses["/metrics"] == 200
    assert statuses["/readyz"] == 200


async def test_all_role_does_both(hub: Hub) -> None:
    started, statuses = await _serve(hub, Role.ALL)
    assert sorted(started) == ["delivery", "token-usage"]
    assert statuses["send"] == 202
    assert statuses["/healthz"] == 200


def test_unknown_role_is_a_usage_error() -> None:
    result = run_cli("serve", "--role", "scheduler", "--port", "1")
    assert result.returncode == 2
    assert "scheduler" in result.stderr
    assert "all" in result.stderr and "worker" in result.stderr
