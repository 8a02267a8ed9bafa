"""The Sentry poller against a loopback stand-in of Sentry's events API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.domain.severity import Severity
from alerthub.errors import SourceError
from alerthub.hub import Hub, build_hub
from alerthub.sources.sentry import SentryConfig
from alerthub.sources.sentry_poller import SentryPoller
from alerthub.store.database import Database
from support.clock import FakeClock
from support.fake_apis import SentryAPI, alerts_of, load_fixture, supervisor_for


@pytest.fixture
def sentry_api(clock: FakeClock) -> Iterator[SentryAPI]:
    api = SentryAPI(now=clock)
    api.start()
    yield api
    api.stop()


def poller(api: SentryAPI, http: httpx.AsyncClient, clock: FakeClock, **config: object) -> SentryPoller:
    settings = {"api_token": "sentry-api-token", "org": "acme", "base_url": api.url, **config}
    return SentryPoller(SentryConfig.model_validate(settings), http, clock)


async def test_errors_and_slow_transactions_per_project_raise_and_resolve(
    hub: Hub, clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.errors = {"backend": 73, "frontend": 22, "worker": 3}
    sentry_api.slow = {"backend": 25}
    supervisor = supervisor_for(hub, poller(sentry_api, http, clock))
    await supervisor.run_once()

    errors = await alerts_of(hub, "sentry_error_rate_hourly")
    assert {p: (a.state, a.severity, a.value) for p, a in errors.items()} == {
        "backend": ("firing", "critical", 73),
        "frontend": ("firing", "high", 22),
    }
    assert "73 errors in Sentry project backend" in errors["backend"].annotations["summary"]
    slow = await alerts_of(hub, "sentry_performance_issue")
    assert (slow["backend"].state, slow["backend"].value) == ("firing", 25)

    # An hour later: frontend is down to 2 errors, backend has none at all (no row for it).
    sentry_api.errors, sentry_api.slow = {"frontend": 2}, {}
    clock.advance(300)
    await supervisor.run_once()
    errors = await alerts_of(hub, "sentry_error_rate_hourly")
    assert {p: a.state for p, a in errors.items()} == {"backend": "resolved", "frontend": "resolved"}
    assert (await alerts_of(hub, "sentry_performance_issue"))["backend"].state == "resolved"


async def test_asks_for_aggregates_with_the_documented_parameters(
    clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.errors = {"backend": 5}
    await poller(sentry_api, http, clock).poll()

    errors, spans = sentry_api.requests
    assert errors.headers["authorization"] == "Bearer sentry-api-token"
    assert errors.query["dataset"] == ["errors"] and errors.query["field"] == ["project", "count()"]
    assert errors.query["statsPeriod"] == ["1h"]
    assert spans.query["dataset"] == ["spans"]
    assert spans.query["query"] == ["is_transaction:true span.duration:>2000"]


async def test_follows_link_pagination_while_results_is_true(
    clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.page_size = 2
    sentry_api.errors = {f"project-{i}": 10 + i for i in range(5)}
    signals = await poller(sentry_api, http, clock).poll()

    counts = {s.labels["project"]: s.value for s in signals if s.rule_name == "sentry_error_rate_hourly"}
    assert counts == {f"project-{i}": 10 + i for i in range(5)}
    pages = [r for r in sentry_api.requests if r.query["dataset"] == ["errors"]]
    assert [r.query.get("cursor") for r in pages] == [None, ["0:2:0"], ["0:4:0"]]


async def test_counts_come_from_count_aggregate_not_the_number_of_rows(
    clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    # Sentry's own documented example answer: three rows whose count() adds up to 70.
    sentry_api.fail_with(200, load_fixture("sentry", "api_events_response.json"))
    signals = await poller(sentry_api, http, clock).poll()
    assert [(s.rule_name, s.value) for s in signals][0] == ("sentry_error_rate_hourly", 70.0)


async def test_configured_projects_are_asked_one_by_one_and_quiet_ones_report_zero(
    hub: Hub, clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.errors = {"backend": 60, "other": 999, "payments": 7}
    sentry_api.ids = {"backend": 11, "other": 12, "payments": 4502}
    signals = await poller(sentry_api, http, clock, projects=["backend", "mobile", "4502"]).poll()

    counts = {s.labels["project"]: s.value for s in signals if s.rule_name == "sentry_error_rate_hourly"}
    assert counts == {"backend": 60.0, "mobile": 0.0, "4502": 7.0}
    errors = [r.query for r in sentry_api.requests if r.query["dataset"] == ["errors"]]
    assert [(q.get("projectSlug"), q.get("project")) for q in errors] == [
        (["backend"], None),
        (["mobile"], None),
        (None, ["4502"]),  # a numeric id goes as `project`; slugs there are a 400
    ]


async def test_a_bad_token_is_a_permanent_error_with_sentrys_message(
    clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.token = "rotated"
    with pytest.raises(SourceError) as caught:
        await poller(sentry_api, http, clock).poll()
    assert not caught.value.retryable
    assert "credentials rejected (401)" in str(caught.value) and "Invalid token" in str(caught.value)


async def test_429_waits_until_the_rate_limit_reset(
    clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.remaining = 0
    with pytest.raises(SourceError) as caught:
        await poller(sentry_api, http, clock).poll()
    assert caught.value.retryable
    assert caught.value.retry_after == pytest.approx(37, abs=1)  # X-Sentry-Rate-Limit-Reset, no Retry-After


async def test_429_backs_the_supervisor_off_until_the_reset(
    hub: Hub, clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    reset = 3600 - 1  # a long window: longer than the interval
    sentry_api.fail_with(
        429,
        {"detail": "You are attempting to use this endpoint too frequently."},
        {"X-Sentry-Rate-Limit-Reset": str(int(clock.now.timestamp()) + reset), "X-Sentry-Rate-Limit-Remaining": "0"},
    )
    state = await supervisor_for(hub, poller(sentry_api, http, clock), interval=300).run_once()
    assert state is not None and state.next_run is not None
    assert (state.next_run - clock.now).total_seconds() == pytest.approx(reset, abs=1)


async def test_server_errors_are_retryable(clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient) -> None:
    sentry_api.fail_with(502, {"detail": "Bad Gateway"})
    with pytest.raises(SourceError) as caught:
        await poller(sentry_api, http, clock).poll()
    assert caught.value.retryable and "server error (502)" in str(caught.value)


async def test_a_slow_api_times_out(clock: FakeClock, sentry_api: SentryAPI) -> None:
    sentry_api.delay = 5
    async with httpx.AsyncClient(timeout=0.2) as http:
        with pytest.raises(SourceError) as caught:
            await poller(sentry_api, http, clock).poll()
    assert caught.value.retryable and "no answer in time" in str(caught.value)


async def test_an_unexpected_answer_is_a_clear_error(
    clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.fail_with(200, {"data": [{"project": "backend"}]})
    with pytest.raises(SourceError, match="without a numeric count"):
        await poller(sentry_api, http, clock).poll()


async def test_an_org_without_global_views_is_told_to_list_its_projects(
    clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.global_views = False
    sentry_api.errors = {"backend": 4}
    with pytest.raises(SourceError, match="list them in integrations.sentry.projects") as caught:
        await poller(sentry_api, http, clock).poll()
    assert not caught.value.retryable

    signals = await poller(sentry_api, http, clock, projects=["backend"]).poll()
    assert [(s.rule_name, s.value) for s in signals] == [
        ("sentry_error_rate_hourly", 4.0),
        ("sentry_performance_issue", 0.0),
    ]


async def test_the_hourly_count_pages_above_the_seed_pollers_20_not_the_webhooks_10(
    hub: Hub, clock: FakeClock, sentry_api: SentryAPI, http: httpx.AsyncClient
) -> None:
    sentry_api.errors = {"backend": 20, "frontend": 21, "worker": 12}
    await supervisor_for(hub, poller(sentry_api, http, clock)).run_once()

    errors = await alerts_of(hub, "sentry_error_rate_hourly")
    assert {p: (a.state, a.severity) for p, a in errors.items()} == {"frontend": ("firing", "high")}
    # The webhook's rule keeps its own threshold (> 10) and saw nothing from the poller.
    assert await alerts_of(hub, "sentry_error_rate") == {}
    assert hub.rules.require("sentry_error_rate").thresholds[Severity.HIGH] == 10


async def test_the_hourly_threshold_is_a_rule_a_configuration_overrides(clock: FakeClock, db: Database) -> None:
    config = Config.model_validate({"rules": [{"name": "sentry_error_rate_hourly", "thresholds": {"high": 5}}]})
    rule = build_hub(config, clock=clock, db=db).rules.require("sentry_error_rate_hourly")
    assert rule.thresholds == {Severity.HIGH: 5} and rule.source == "sentry"
