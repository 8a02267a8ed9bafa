"""The registry: every source's `integrations.<key>` checked by the source's own model, with the
locations the loader always gave, and one contract for pull and push sources, so that a new source is
one module, one registry line and its test (the fake sources below are that whole demonstration)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from alerthub.api.app import create_app
from alerthub.api.routes.webhooks import webhook_router
from alerthub.config.durations import Duration
from alerthub.config.environment import config_from_environment
from alerthub.config.models import Config, Strict
from alerthub.domain.clock import Clock
from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.errors import ConfigError
from alerthub.hub import Hub, build_hub, load_config
from alerthub.rules.build import build_ruleset
from alerthub.services.monitoring import monitoring_status, planned_monitors
from alerthub.services.routes import SampleAlert, explain_route
from alerthub.sources import ga4_settings, generic, registry, sentry, system
from alerthub.sources.contracts import (
    Endpoint,
    InboundRequest,
    Parsed,
    PullSource,
    PushContext,
    PushSource,
    Settings,
    reveal,
)
from alerthub.sources.registry import SOURCES, Registry, check_integrations, resolve
from alerthub.sources.signatures import require_token
from alerthub.store.database import Database
from alerthub.validation import parse_json
from support.clock import FakeClock
from support.waiting import eventually

# Every registered integration: a new source's registry line adds its key here without another edit.
KNOWN = ", ".join(sorted(SOURCES.settings))


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "alerthub.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return [str(p) for p in caught.value.problems]


def test_each_integration_is_checked_by_its_source_with_its_location(tmp_path: Path) -> None:
    found = problems_of(
        tmp_path,
        """
integrations:
  sentry: {poll_interval: soon, colour: red}
  hetrixtools: [not, a, mapping]
  generic:
    - {name: kuma, fields: {lables.host: monitor.name}}
    - {name: "bad name"}
  sentri: {org: acme}
""",
    )
    assert f"integrations.sentri: unknown integration (check the spelling); known: {KNOWN}" in found
    assert "integrations.sentry.colour: unknown key (check the spelling)" in found
    assert any(p.startswith("integrations.sentry.poll_interval: ") for p in found), found
    assert any(p.startswith("integrations.hetrixtools: Input should be a valid dictionary") for p in found), found
    assert any(p.startswith("integrations.generic[0].fields: ") and "'lables.host'" in p for p in found), found
    assert any(p.startswith("integrations.generic[1].name: String should match pattern") for p in found), found
    assert len(found) == 6, found


def test_the_first_integrations_stay_registered() -> None:
    assert {"ga4", "generic", "hetrixtools", "sentry", "system"} <= set(SOURCES.settings)


def test_a_valid_configuration_has_no_integration_problems() -> None:
    config = Config.model_validate({"integrations": {"sentry": {"org": "acme"}, "generic": [{"name": "kuma"}]}})
    assert check_integrations(config) == []
    assert check_integrations(Config()) == []


def test_resolve_gives_each_source_its_typed_settings_and_defaults() -> None:
    env = {"SENTRY_TOKEN": "sntrys_x", "SENTRY_ORG": "acme", "GA4_PROPERTY_ID": "42"}
    integrations = resolve(Config.model_validate(config_from_environment(env)))
    sentry_settings = integrations.of(sentry.SETTINGS)
    assert isinstance(sentry_settings, sentry.SentryConfig)
    assert sentry_settings.api_token == SecretStr("sntrys_x") and sentry_settings.poll_interval == timedelta(minutes=5)
    assert integrations.of(ga4_settings.SETTINGS).property_id == "42"
    assert integrations.of(system.SETTINGS).enabled is False  # absent: all defaults
    assert integrations.of(generic.SETTINGS) == []


def test_resolve_refuses_what_check_reports() -> None:
    config = Config.model_validate({"integrations": {"system": {"interval": "often"}}})
    with pytest.raises(ConfigError) as caught:
        resolve(config)
    assert [p.location for p in caught.value.problems] == ["integrations.system.interval"]


def test_settings_as_written_never_show_their_secrets() -> None:
    config = Config.model_validate(
        {"integrations": {"sentry": {"api_token": "s3cret-token"}, "generic": [{"name": "a", "token": "s3cret-2"}]}}
    )
    assert "s3cret" not in repr(config) and "s3cret" not in str(config.integrations)


def test_reading_the_configuration_loads_no_source() -> None:
    """config/ is the bottom layer: the sources own their models, config does not import them."""
    code = "import sys, alerthub.config.loader; print([m for m in sys.modules if m.startswith('alerthub.sources')])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_a_registry_refuses_two_sources_bringing_one_rule_name() -> None:
    class OtherFakePush(FakePush):
        path = "other-fake"

    with pytest.raises(ValueError, match="fake_down"):
        Registry(FakePush(), OtherFakePush())


def test_a_source_rule_may_not_shadow_a_built_in() -> None:
    with pytest.raises(ValueError, match="hetrixtools_downtime"):
        build_ruleset([], [Rule("hetrixtools_downtime", "fake")])


def test_a_registry_refuses_two_models_for_one_key_and_two_sources_at_one_path() -> None:
    with pytest.raises(ValueError, match="integrations.fake"):
        Registry(FakePull(), OtherFakePull())
    with pytest.raises(ValueError, match="share a path"):
        Registry(FakePush(), FakePush())


# A new source, whole: its settings, a push side, a pull side. Registering it is one line.


class FakeConfig(Strict):
    token: SecretStr | None = None
    interval: Duration = timedelta(seconds=30)
    expect_every: Duration | None = None


FAKE = Settings("fake", FakeConfig)


class FakePush(PushSource[FakeConfig, FakeConfig]):
    settings = FAKE
    path = "fake"
    # Its own built-in rule: listed, and overridable in `rules:`, like rules/defaults.py's.
    rules = (Rule("fake_down", "fake", "status", severity=Severity.CRITICAL),)

    def endpoints(self, settings: FakeConfig) -> Sequence[Endpoint[FakeConfig]]:
        return [Endpoint(None, "fake", settings, settings.expect_every)]

    def authenticate(self, settings: FakeConfig, request: InboundRequest) -> None:
        require_token(request.token(), reveal(settings.token), "integrations.fake.token", "Authorization: Bearer")

    async def parse(self, settings: FakeConfig, request: InboundRequest, context: PushContext) -> Parsed:
        host = str(parse_json(request.body)["host"])
        return Parsed(
            (Signal(rule_name="fake_down", source="fake", labels={"host": host}, status=SignalStatus.FIRING),)
        )


class FakePoller:
    name = "fake"
    kind = "fake"

    async def poll(self) -> list[Signal]:
        return [Signal(rule_name="fake_busy", source="fake", value=97.0, status=SignalStatus.FIRING)]


class FakePull(PullSource[FakeConfig]):
    settings = FAKE
    kind = "fake"

    def enabled(self, settings: FakeConfig) -> bool:
        return settings.token is not None

    def interval(self, settings: FakeConfig) -> timedelta:
        return settings.interval

    def poller(self, settings: FakeConfig, http: httpx.AsyncClient, clock: Clock, timeout: timedelta) -> FakePoller:
        return FakePoller()


class OtherFakePull(FakePull):
    settings = Settings("fake", FakeConfig)


WITH_FAKE = Registry(*SOURCES.push, *SOURCES.pull, FakePush(), FakePull())
FAKE_CONFIG = {"integrations": {"fake": {"token": "fake-token", "interval": "1s", "expect_every": "1h"}}}


@pytest.fixture
def fake_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "SOURCES", WITH_FAKE)


@pytest.fixture
def fake_hub(fake_registered: None, clock: FakeClock, db: Database) -> Hub:
    return build_hub(Config.model_validate(FAKE_CONFIG), clock=clock, db=db)


@pytest.fixture
async def fake_client(fake_hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(fake_hub, migrate=False, run_background=False)
    app.include_router(webhook_router(Registry(FakePush())))  # the routes the registry line would add
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        yield http


def test_an_unregistered_source_is_an_unknown_integration() -> None:
    [problem] = check_integrations(Config.model_validate(FAKE_CONFIG))
    assert str(problem).startswith("integrations.fake: unknown integration")


async def test_a_registered_push_source_is_served_authenticated_and_keeps_its_heartbeat(
    fake_client: httpx.AsyncClient,
) -> None:
    refused = await fake_client.post("/webhooks/fake", json={"host": "web1"})
    assert refused.status_code == 401, refused.text
    answer = await fake_client.post(
        "/webhooks/fake", json={"host": "web1"}, headers={"Authorization": "Bearer fake-token"}
    )
    assert answer.status_code == 200, answer.text
    [alert] = answer.json()["alerts"]
    assert (answer.json()["status"], alert["state"]) == ("accepted", "firing")
    beats = (await fake_client.get("/api/heartbeats")).json()["heartbeats"]
    assert [(b["name"], b["origin"], b["last_ping_at"] is not None) for b in beats] == [
        ("webhook:fake", "webhook", True)
    ]


async def test_a_registered_pull_source_is_planned_polled_and_reported(
    fake_hub: Hub, fake_client: httpx.AsyncClient
) -> None:
    assert [(s.name, s.kind, s.interval) for s in planned_monitors(fake_hub.config)] == [
        ("fake", "fake", timedelta(seconds=1))
    ]
    stop = asyncio.Event()
    task = asyncio.create_task(fake_hub.background["poller:fake"](stop))

    async def ran() -> bool:
        _, statuses = await monitoring_status(fake_hub.db, planned_monitors(fake_hub.config))
        return statuses[0].last_success is not None

    await eventually(ran, every=0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    _, statuses = await monitoring_status(fake_hub.db, planned_monitors(fake_hub.config))
    assert statuses[0].healthy and statuses[0].last_success is not None
    alerts = (await fake_client.get("/api/alerts", params={"rule": "fake_busy"})).json()["alerts"]
    assert [(a["state"], a["source"]) for a in alerts] == [("firing", "fake")]


async def test_a_registered_sources_rules_are_built_in(fake_client: httpx.AsyncClient) -> None:
    listed = {r["name"]: r for r in (await fake_client.get("/api/rules")).json()["rules"]}
    assert (listed["fake_down"]["severity"], listed["fake_down"]["builtin"]) == ("critical", True)
    answer = await fake_client.post("/webhooks/fake", json={"host": "web1"}, params={"token": "fake-token"})
    assert answer.json()["alerts"][0]["severity"] == "critical", answer.text


async def test_a_source_rule_is_overridden_by_configuration_like_a_built_in(
    fake_registered: None, clock: FakeClock, db: Database
) -> None:
    settings = FAKE_CONFIG | {"rules": [{"name": "fake_down", "severity": "high"}]}
    hub = build_hub(Config.model_validate(settings), clock=clock, db=db)
    rule = hub.rules.require("fake_down")
    assert (rule.severity, rule.source, rule.metric, rule.builtin) == (Severity.HIGH, "fake", "status", False)


def test_the_route_tester_judges_a_source_rule_as_ingest_does(fake_registered: None) -> None:
    sample = SampleAlert(rule_name="fake_down", labels={"host": "web1"}, annotations={})
    tested = explain_route(Config.model_validate(FAKE_CONFIG), sample, datetime(2026, 1, 1, tzinfo=UTC), render=False)
    assert tested.severity is Severity.CRITICAL
