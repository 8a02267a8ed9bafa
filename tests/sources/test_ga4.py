"""The GA4 poller: Google's real client (REST transport) against a loopback Data API stand-in.

The FakeClock says Friday 2026-11-27 09:00 UTC = 10:00 in the property's zone (Europe/Paris); the
realtime window's middle is 09:45, so the baseline is 09:00-10:00 on earlier Fridays.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.credentials import AnonymousCredentials

from alerthub.domain.signal import Signal
from alerthub.errors import SourceError
from alerthub.hub import Hub
from alerthub.sources.ga4 import GA4Poller
from alerthub.sources.ga4_settings import GA4Config
from support.clock import FakeClock
from support.fake_apis import alerts_of, load_fixture, supervisor_for
from support.fake_ga4 import GA4API, PageViews

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def ga4_api(clock: FakeClock) -> Iterator[GA4API]:
    api = GA4API(property_id="123456", zone="Europe/Paris", now=clock)
    api.start()
    yield api
    api.stop()


def poller(api: GA4API, clock: FakeClock, *, timeout: float = 5, **config: object) -> GA4Poller:
    settings = {"property_id": "123456", "api_endpoint": api.url, **config}
    return GA4Poller(GA4Config.model_validate(settings), clock, credentials=AnonymousCredentials(), timeout=timeout)


def local(clock: FakeClock, hour: int, weeks_ago: int = 0, days_ago: int = 0) -> datetime:
    today = clock.now.astimezone(PARIS).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today - timedelta(weeks=weeks_ago, days=days_ago)


def usual_friday_mornings(api: GA4API, clock: FakeClock, views: int) -> None:
    """Four earlier Fridays with `views` at 09:00, and traffic at other hours and days that must not count."""
    for week in range(1, 5):
        api.views.append(PageViews(local(clock, 9, weeks_ago=week), views))
        api.views.append(PageViews(local(clock, 10, weeks_ago=week), views * 7))
        api.views.append(PageViews(local(clock, 9, weeks_ago=week, days_ago=1), views * 13))


def by_rule(signals: list[Signal]) -> dict[str, Signal]:
    return {s.rule_name: s for s in signals}


async def test_normal_traffic_is_judged_against_the_same_hour_of_earlier_fridays(
    ga4_api: GA4API, clock: FakeClock
) -> None:
    usual_friday_mornings(ga4_api, clock, views=200)
    ga4_api.realtime_users, ga4_api.realtime_views = 35, 110  # 220 views/hour
    signals = by_rule(await poller(ga4_api, clock).poll())

    assert signals["ga4_traffic_spike"].value == pytest.approx(1.1)
    assert signals["ga4_traffic_drop"].value == pytest.approx(1.1)
    assert signals["ga4_traffic_spike"].labels == {"property": "123456"}
    assert signals["ga4_traffic_spike"].annotations["active_users"] == "35"
    assert "usual for Friday 09:00 is 200" in signals["ga4_traffic_spike"].annotations["summary"]


async def test_spike_and_drop_raise_and_resolve(hub: Hub, ga4_api: GA4API, clock: FakeClock) -> None:
    usual_friday_mornings(ga4_api, clock, views=200)
    supervisor = supervisor_for(hub, poller(ga4_api, clock))

    ga4_api.realtime_views = 600  # 1200/hour: 6x the usual
    await supervisor.run_once()
    spike = (await alerts_of(hub, "ga4_traffic_spike"))["123456"]
    assert (spike.state, spike.severity, spike.value) == ("firing", "high", 6.0)

    ga4_api.realtime_views = 15  # 30/hour: 0.15x
    clock.advance(300)
    await supervisor.run_once()
    assert (await alerts_of(hub, "ga4_traffic_spike"))["123456"].state == "resolved"
    drop = (await alerts_of(hub, "ga4_traffic_drop"))["123456"]
    assert (drop.state, drop.severity) == ("firing", "high")

    ga4_api.realtime_views = 100
    clock.advance(300)
    await supervisor.run_once()
    assert (await alerts_of(hub, "ga4_traffic_drop"))["123456"].state == "resolved"


async def test_a_quiet_night_does_not_page(ga4_api: GA4API, clock: FakeClock) -> None:
    usual_friday_mornings(ga4_api, clock, views=6)  # below min_volume (20) per hour
    ga4_api.realtime_views = 0  # nobody at all right now: rows are absent from the answer
    signals = by_rule(await poller(ga4_api, clock).poll())
    assert signals["ga4_traffic_drop"].value == 1.0

    ga4_api.realtime_views = 8  # 16/hour: 2.7x, but still a handful of views
    signals = by_rule(await poller(ga4_api, clock).poll())
    assert signals["ga4_traffic_spike"].value == 1.0


async def test_a_new_property_is_compared_with_the_weeks_it_has(ga4_api: GA4API, clock: FakeClock) -> None:
    ga4_api.views.append(PageViews(local(clock, 9, weeks_ago=1), 300))  # one week of history only
    ga4_api.realtime_views = 150
    signals = by_rule(await poller(ga4_api, clock).poll())
    assert signals["ga4_traffic_drop"].value == pytest.approx(1.0)  # 300/300, not 300/75


async def test_error_pages_by_title_or_path_in_the_last_hours(hub: Hub, ga4_api: GA4API, clock: FakeClock) -> None:
    ga4_api.views += [
        PageViews(local(clock, 10), 30, "/old-pricing", "Page not found - Example"),
        PageViews(local(clock, 9), 5, "/404", "Example"),
        PageViews(local(clock, 10), 4, "/search", "페이지를 찾을 수 없습니다"),
        PageViews(local(clock, 10), 500, "/", "Home - Example"),
        PageViews(local(clock, 7), 1000, "/gone", "404 | Example"),  # too long ago
    ]
    await supervisor_for(hub, poller(ga4_api, clock)).run_once()

    alert = (await alerts_of(hub, "ga4_error_pages"))["123456"]
    assert (alert.state, alert.severity, alert.value) == ("firing", "warning", 39)
    assert alert.annotations["description"].startswith("/old-pricing (Page not found - Example): 30")

    error_report = ga4_api.requests[-1]
    assert error_report.query["$alt"] == ["json;enum-encoding=int"]
    expressions = error_report.json()["dimensionFilter"]["andGroup"]["expressions"]
    assert expressions[1]["orGroup"]["expressions"][0]["filter"]["stringFilter"]["matchType"] == 6  # PARTIAL_REGEXP


async def test_no_data_at_all_reports_nothing_alarming(ga4_api: GA4API, clock: FakeClock) -> None:
    signals = by_rule(await poller(ga4_api, clock).poll())
    assert {r: s.value for r, s in signals.items()} == {
        "ga4_traffic_spike": 1.0,
        "ga4_traffic_drop": 1.0,
        "ga4_active_users_spike": 1.0,  # users are watched too, since the seed does (#15)
        "ga4_active_users_drop": 1.0,
        "ga4_error_pages": 0.0,
    }


async def test_quota_exhausted_is_retryable(ga4_api: GA4API, clock: FakeClock) -> None:
    ga4_api.fail_with(429, load_fixture("ga4", "error_429.json"))
    with pytest.raises(SourceError) as caught:
        await poller(ga4_api, clock).poll()
    assert caught.value.retryable and "Exhausted property tokens" in str(caught.value)


async def test_a_property_the_account_cannot_read_is_permanent(ga4_api: GA4API, clock: FakeClock) -> None:
    with pytest.raises(SourceError) as caught:
        await poller(ga4_api, clock, property_id="999").poll()
    assert not caught.value.retryable and "access refused (403)" in str(caught.value)


async def test_server_errors_down_and_slow_apis_are_retryable(ga4_api: GA4API, clock: FakeClock) -> None:
    ga4_api.fail_with(500, {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}})
    with pytest.raises(SourceError) as caught:
        await poller(ga4_api, clock).poll()
    assert caught.value.retryable

    ga4_api.failure, ga4_api.delay = None, 5
    with pytest.raises(SourceError, match="cannot reach") as caught:
        await poller(ga4_api, clock, timeout=0.3).poll()
    assert caught.value.retryable

    ga4_api.stop()
    with pytest.raises(SourceError, match="cannot reach") as caught:
        await poller(ga4_api, clock).poll()
    assert caught.value.retryable


async def test_a_missing_credentials_file_is_a_clear_permanent_error(clock: FakeClock, tmp_path: object) -> None:
    config = GA4Config.model_validate({"property_id": "1", "credentials_file": "/nonexistent/sa.json"})
    with pytest.raises(SourceError, match="credentials file /nonexistent/sa.json") as caught:
        await GA4Poller(config, clock).poll()
    assert not caught.value.retryable


async def test_the_baseline_hour_is_local_time_across_a_daylight_saving_change(
    ga4_api: GA4API, clock: FakeClock
) -> None:
    # Six weeks back reaches October, still summer time in Paris: 09:00 local was 07:00 UTC then.
    for week in range(1, 7):
        ga4_api.views.append(PageViews(local(clock, 9, weeks_ago=week), 100))
        ga4_api.views.append(PageViews(local(clock, 8, weeks_ago=week), 1000))
    ga4_api.realtime_views = 50
    signals = by_rule(await poller(ga4_api, clock, baseline_weeks=6).poll())
    assert signals["ga4_traffic_drop"].value == pytest.approx(1.0)


def service_account_file(tmp_path: Path, email: str) -> tuple[Path, rsa.RSAPrivateKey]:
    """A service-account key file as the Google Cloud console downloads it, with a fresh RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = tmp_path / f"{email.split('@')[0]}.json"
    account = {
        "type": "service_account",
        "project_id": "alerthub-test",
        "private_key_id": "0123456789abcdef",
        "private_key": pem.decode(),
        "client_email": email,
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(account))
    return path, key


def config_with(api: GA4API, key_file: Path) -> GA4Config:
    settings = {"property_id": "123456", "api_endpoint": api.url, "credentials_file": str(key_file)}
    return GA4Config.model_validate(settings)


async def test_a_service_account_file_signs_the_requests(ga4_api: GA4API, clock: FakeClock, tmp_path: Path) -> None:
    email = "alerthub@alerthub-test.iam.gserviceaccount.com"
    key_file, key = service_account_file(tmp_path, email)
    ga4_api.trusted_keys[email] = key.public_key()
    ga4_api.realtime_views = 10

    signals = by_rule(await GA4Poller(config_with(ga4_api, key_file), clock).poll())

    assert set(signals) == {
        "ga4_traffic_spike",
        "ga4_traffic_drop",
        "ga4_active_users_spike",  # users are watched too, since the seed does (#15)
        "ga4_active_users_drop",
        "ga4_error_pages",
    }
    assert len(ga4_api.claims) == 3
    assert ga4_api.claims[0]["scope"] == "https://www.googleapis.com/auth/analytics.readonly"


async def test_a_service_account_without_access_is_a_permanent_error(
    ga4_api: GA4API, clock: FakeClock, tmp_path: Path
) -> None:
    _, trusted = service_account_file(tmp_path, "viewer@alerthub-test.iam.gserviceaccount.com")
    ga4_api.trusted_keys["viewer@alerthub-test.iam.gserviceaccount.com"] = trusted.public_key()
    stranger_file, _ = service_account_file(tmp_path, "stranger@elsewhere.iam.gserviceaccount.com")

    with pytest.raises(SourceError, match=r"access refused \(401\)") as caught:
        await GA4Poller(config_with(ga4_api, stranger_file), clock).poll()
    assert not caught.value.retryable


def usual_users(api: GA4API, clock: FakeClock, users: int, views: int = 200) -> None:
    """Four earlier Fridays with `users` active at 09:00 (and page views as usual)."""
    for week in range(1, 5):
        api.views.append(PageViews(local(clock, 9, weeks_ago=week), views, users=users))
        api.views.append(PageViews(local(clock, 9, weeks_ago=week, days_ago=1), views * 13, users=users * 13))


async def test_active_users_drop_and_spike_raise_and_resolve(hub: Hub, ga4_api: GA4API, clock: FakeClock) -> None:
    # 100 users in the usual 09:00 hour: the last 30 minutes usually see at least 50 of them.
    usual_users(ga4_api, clock, users=100)
    ga4_api.realtime_views = 100  # page views as usual: only users change
    supervisor = supervisor_for(hub, poller(ga4_api, clock))

    ga4_api.realtime_users = 8  # a login outage: visitors bounce, few stay
    await supervisor.run_once()
    drop = (await alerts_of(hub, "ga4_active_users_drop"))["123456"]
    assert (drop.state, drop.severity, drop.value) == ("firing", "high", 0.16)
    assert drop.annotations["summary"] == "8 active users in the last 30 minutes; usual for Friday 09:00 is 50"
    assert await alerts_of(hub, "ga4_traffic_drop") == {}

    ga4_api.realtime_users = 200
    clock.advance(300)
    await supervisor.run_once()
    assert (await alerts_of(hub, "ga4_active_users_drop"))["123456"].state == "resolved"
    spike = (await alerts_of(hub, "ga4_active_users_spike"))["123456"]
    assert (spike.state, spike.severity, spike.value) == ("firing", "warning", 4.0)

    ga4_api.realtime_users = 60
    clock.advance(300)
    await supervisor.run_once()
    assert (await alerts_of(hub, "ga4_active_users_spike"))["123456"].state == "resolved"

    history = ga4_api.requests[1].json()
    assert [m["name"] for m in history["metrics"]] == ["screenPageViews", "activeUsers"]


async def test_few_users_at_night_do_not_page(ga4_api: GA4API, clock: FakeClock) -> None:
    usual_users(ga4_api, clock, users=6)  # below min_volume (20) an hour
    ga4_api.realtime_users = 0
    signals = by_rule(await poller(ga4_api, clock).poll())
    assert signals["ga4_active_users_drop"].value == 1.0
    ga4_api.realtime_users = 9  # 3x the usual half hour, but 9 people
    assert by_rule(await poller(ga4_api, clock).poll())["ga4_active_users_spike"].value == 1.0


async def test_configured_events_are_counted_each_as_its_own_alert(hub: Hub, ga4_api: GA4API, clock: FakeClock) -> None:
    ga4_api.realtime_events = {"page_not_found": 35, "purchase": 999, "checkout_error": 0}
    supervisor = supervisor_for(hub, poller(ga4_api, clock, events=["page_not_found", "checkout_error"]))
    await supervisor.run_once()

    alerts = await alerts_of(hub, "ga4_event_count")
    [alert] = alerts.values()
    assert (alert.state, alert.severity, alert.value) == ("firing", "warning", 35)
    assert alert.labels == {"property": "123456", "event": "page_not_found"}
    assert alert.annotations["summary"] == "page_not_found: 35 events in the last 30 minutes"
    events = ga4_api.requests[-1].json()
    assert events["dimensions"] == [{"name": "eventName"}] and events["metrics"] == [{"name": "eventCount"}]
    assert events["dimensionFilter"]["filter"]["inListFilter"]["values"] == ["page_not_found", "checkout_error"]

    ga4_api.realtime_events = {}
    clock.advance(300)
    await supervisor.run_once()
    assert [a.state for a in (await alerts_of(hub, "ga4_event_count")).values()] == ["resolved"]


async def test_without_events_configured_no_event_report_is_asked(ga4_api: GA4API, clock: FakeClock) -> None:
    signals = await poller(ga4_api, clock).poll()
    assert len(ga4_api.requests) == 3 and not [s for s in signals if s.rule_name == "ga4_event_count"]


def test_an_event_name_ga4_cannot_have_is_a_configuration_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="events.0"):
        GA4Config.model_validate({"property_id": "1", "events": ["page not found"]})
