"""Which pollers a configuration enables, their background tasks, and their status."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from alerthub.config.models import Config
from alerthub.hub import build_hub
from alerthub.services.monitoring import monitoring_status, planned_monitors
from alerthub.sources import system
from alerthub.sources.registry import resolve
from alerthub.sources.system import SystemPoller
from alerthub.store.database import Database
from support.clock import FakeClock
from support.fake_apis import HetrixToolsAPI, supervisor_for
from support.waiting import eventually


def test_nothing_is_polled_without_credentials() -> None:
    config = Config.model_validate({"integrations": {"sentry": {"api_token": "t"}, "ga4": {"credentials_file": "x"}}})
    assert planned_monitors(config) == []  # Sentry needs an org too; GA4 a property


def test_each_integration_with_its_credentials_is_one_monitor() -> None:
    config = Config.model_validate(
        {
            "integrations": {
                "sentry": {"api_token": "t", "org": "acme", "poll_interval": "2m"},
                "hetrixtools": {"api_key": "k"},
                "ga4": {"property_id": 123456},
                "system": {"enabled": True, "interval": "30s", "host": "web1"},
            }
        }
    )
    specs = planned_monitors(config)
    assert [(s.name, s.kind, s.interval) for s in specs] == [
        ("sentry", "sentry", timedelta(minutes=2)),
        ("hetrixtools", "hetrixtools", timedelta(minutes=5)),
        ("ga4", "ga4", timedelta(minutes=5)),
        ("system:web1", "system", timedelta(seconds=30)),
    ]
    assert specs[0].timeout == timedelta(minutes=1)
    assert specs[3].timeout == timedelta(seconds=15)


def test_the_seed_environment_enables_its_pollers() -> None:
    from alerthub.config.environment import config_from_environment

    env = {"SENTRY_TOKEN": "t", "SENTRY_ORG": "acme", "HETRIXTOOLS_API_KEY": "k", "GA4_PROPERTY_ID": "42"}
    specs = planned_monitors(Config.model_validate(config_from_environment(env)))
    assert [s.name for s in specs] == ["sentry", "hetrixtools", "ga4"]


@pytest.fixture
def hetrix_api(clock: FakeClock) -> Iterator[HetrixToolsAPI]:
    api = HetrixToolsAPI(now=clock)
    api.start()
    yield api
    api.stop()


async def test_the_background_task_polls_and_stops_cleanly(
    db: Database, clock: FakeClock, hetrix_api: HetrixToolsAPI
) -> None:
    config = Config.model_validate(
        {"integrations": {"hetrixtools": {"api_key": "hetrix-api-key", "base_url": hetrix_api.url, "poll_interval": 1}}}
    )
    hub = build_hub(config, clock=clock, db=db)
    assert "poller:hetrixtools" in hub.background

    stop = asyncio.Event()
    task = asyncio.create_task(hub.background["poller:hetrixtools"](stop))

    async def ran() -> bool:
        _, statuses = await monitoring_status(hub.db, planned_monitors(hub.config))
        return statuses[0].last_success is not None

    await eventually(ran, every=0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    _, statuses = await monitoring_status(hub.db, planned_monitors(hub.config))

    assert statuses[0].last_success == clock.now and statuses[0].healthy
    assert hetrix_api.requests[0].headers["user-agent"] == "alerthub"


async def test_status_lists_configured_monitors_even_before_their_first_run(db: Database, clock: FakeClock) -> None:
    config = Config.model_validate({"integrations": {"system": {"enabled": True, "host": "web1"}}})
    hub = build_hub(config, clock=clock, db=db)
    specs, statuses = await monitoring_status(hub.db, planned_monitors(hub.config))
    assert [s.name for s in specs] == ["system:web1"]
    assert statuses[0].last_run is None and statuses[0].next_run is None and statuses[0].healthy


async def test_each_machine_measures_itself_and_all_show_in_the_status(db: Database, clock: FakeClock) -> None:
    """Host metrics are per machine: each instance's system poller has its own name and lease, so
    two machines both poll (API pollers run once), and the status shows both."""
    hubs = [
        build_hub(Config.model_validate({"integrations": {"system": {"enabled": True, "host": h}}}), clock=clock, db=db)
        for h in ("web1", "web2")
    ]
    for i, hub in enumerate(hubs):
        poller = SystemPoller(resolve(hub.config).of(system.SETTINGS))
        assert await supervisor_for(hub, poller, owner=f"instance-{i}").run_once() is not None

    _, statuses = await monitoring_status(hubs[0].db, planned_monitors(hubs[0].config))
    assert [(s.name, s.last_success) for s in statuses] == [("system:web1", clock.now), ("system:web2", clock.now)]


LOADED_BY = """
import sys
from alerthub.config.models import Config
from alerthub.hub import build_hub
from alerthub.api.app import create_app
from alerthub.services.monitoring import planned_monitors
config = Config.model_validate({CONFIG})
hub = build_hub(config)
create_app(hub)
pollers = [spec.factory(hub, hub.clock) for spec in planned_monitors(config)]  # what the loops start with
print("google.analytics" in sys.modules)
"""


def _loads_google_client(config: str) -> bool:
    import subprocess
    import sys

    code = LOADED_BY.replace("{CONFIG}", config)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip() == "True"


def test_googles_client_is_loaded_only_by_a_hub_that_polls_ga4() -> None:
    """Google's client (gRPC, protobuf) is a fifth of an idle hub's memory: issue 6 wants < 150 MB idle."""
    assert not _loads_google_client("{}")
    with_ga4 = '{"integrations": {"ga4": {"property_id": 42, "credentials_file": "/nonexistent.json"}}}'
    assert _loads_google_client(with_ga4)
