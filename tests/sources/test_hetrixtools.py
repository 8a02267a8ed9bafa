"""HetrixTools' webhook formats read without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from alerthub.domain.signal import SignalStatus
from alerthub.errors import InputError
from alerthub.sources import hetrixtools
from support.webhooks import fixture

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_offline_is_a_downtime_signal_identified_by_the_monitor() -> None:
    [signal] = hetrixtools.parse_webhook(fixture("hetrixtools", "webhook_offline.json"))
    assert (signal.rule_name, signal.status) == ("hetrixtools_downtime", SignalStatus.FIRING)
    assert signal.identity == ("monitor_id",)
    assert signal.labels["url"] == "https://www.example.com/"  # escaped slashes decoded
    assert signal.observed_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert signal.annotations["offline_at"] == "2025-01-01T12:00:00+00:00"
    assert signal.annotations["errors"].startswith("New York: http code 503; San Francisco: http code 503")


def test_online_resolves_downtime_and_emits_the_recovery_rule() -> None:
    resolved, recovery = hetrixtools.parse_webhook(fixture("hetrixtools", "webhook_online.json"))
    assert (resolved.rule_name, resolved.status) == ("hetrixtools_downtime", SignalStatus.RESOLVED)
    assert (recovery.rule_name, recovery.status) == ("hetrixtools_recovery", SignalStatus.FIRING)
    assert resolved.labels == recovery.labels


def test_recovered_carries_the_downtime_from_hetrixtools_clock() -> None:
    [offline] = hetrixtools.parse_webhook(fixture("hetrixtools", "webhook_offline.json"))
    online, _ = hetrixtools.parse_webhook(fixture("hetrixtools", "webhook_online.json"))
    offline_at = hetrixtools.offline_time(offline.annotations, fallback=NOW)
    back = hetrixtools.recovered(online, offline_at, NOW)
    assert back.annotations["downtime"] == "6m"
    assert back.annotations["summary"] == "Example Website is back up after 6m"


def test_without_an_offline_timestamp_the_hubs_own_time_is_used() -> None:
    assert hetrixtools.offline_time({}, fallback=NOW) == NOW
    assert hetrixtools.offline_time({"offline_at": "garbage"}, fallback=NOW) == NOW


def test_numeric_ids_and_string_timestamps_are_accepted() -> None:
    body = fixture("hetrixtools", "webhook_offline.json") | {"monitor_id": 12345, "timestamp": "1735732800"}
    [signal] = hetrixtools.parse_webhook(body)
    assert signal.labels["monitor_id"] == "12345"
    assert signal.observed_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_blacklist_counts_are_strings_and_lebel_is_accepted() -> None:
    items = fixture("hetrixtools", "webhook_blacklist.json")
    items[1]["lebel"] = items[1].pop("label")
    listed, clean = hetrixtools.parse_webhook(items)
    assert (listed.rule_name, listed.value, listed.labels) == (
        "hetrixtools_blacklist",
        2.0,
        {"monitor": "203.0.113.10"},
    )
    assert listed.annotations["url"].startswith("https://hetrixtools.com/report/blacklist/")
    assert (clean.value, clean.annotations["label"]) == (0.0, "web 2")
    assert clean.annotations["summary"] == "198.51.100.20 (web 2) is no longer blacklisted"


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        (42, "body"),
        ({"monitor_id": "x", "monitor_status": "down"}, "body.monitor_status"),
        ({"monitor_id": "x", "monitor_status": "offline", "monitor_errors": "timeout"}, "body.monitor_errors"),
        ([{"monitor": "a", "blacklisted_now": "-1"}], "body[0].blacklisted_now"),
        ([{"blacklisted_now": "1"}], "body[0].monitor"),
    ],
)
def test_bad_bodies_name_the_place(data: Any, loc: str) -> None:
    with pytest.raises(InputError) as raised:
        hetrixtools.parse_webhook(data)
    assert loc in [p.location for p in raised.value.problems]


def test_too_many_blacklist_items_is_413() -> None:
    with pytest.raises(InputError) as raised:
        hetrixtools.parse_webhook([{"monitor": "a", "blacklisted_now": "1"}] * 3, max_items=2)
    assert raised.value.status == 413
