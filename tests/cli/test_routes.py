"""`alerthub routes test`, run as a user runs it: route path, receivers, group key, the rendered message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.processes import run_cli, write_config
from support.webhooks import FIXTURES

CONFIG: dict[str, Any] = {
    "channels": [
        {"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"},
        {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "to": ["ops@example.com"]},
        {"name": "pager", "type": "webhook", "url": "http://127.0.0.1:9/pager"},
    ],
    "receivers": [{"name": "team", "channels": ["discord", "mail"]}],
    "route": {
        "receiver": "team",
        "group_by": ["service"],
        "routes": [
            {"matchers": ['severity=~"high|critical"'], "receiver": "pager", "continue": True, "group_wait": "0s"},
            {"match": {"service": "api"}, "receiver": "discord"},
        ],
    },
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "alerthub.yaml", CONFIG)


def test_labels_show_each_matched_route(config: Path) -> None:
    result = run_cli("routes", "test", "--labels", "severity=critical,service=api", "--config", str(config))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'labels: alertname="route_test", service="api", severity="critical"' in out
    assert 'route 1: {}/{severity=~"high|critical"}/0' in out
    assert "receiver: pager -> channels: pager" in out
    assert 'group key: {}/{severity=~"high|critical"}/0:{service="api"}' in out
    assert "group_wait 0s, group_interval 5m, repeat_interval 4h" in out
    assert 'route 2: {}/{service="api"}/1' in out
    assert "receiver: discord -> channels: discord" in out
    assert "message for discord:" in out and "message for pager:" in out


def test_an_alert_file_in_the_seed_format(config: Path, tmp_path: Path) -> None:
    alert = tmp_path / "alert.json"
    body = {
        "rule_name": "hetrixtools_response_time",
        "metric_data": {"metric_value": 4500},
        "labels": {"service": "shop"},
    }
    alert.write_text(json.dumps(body), encoding="utf-8")
    result = run_cli("routes", "test", "--alert", str(alert), "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["labels"]["severity"] == "warning", "judged against the built-in rule's threshold"
    [route] = answer["routes"]
    assert (route["receiver"], route["channels"], route["group_key"]) == (
        "team",
        ["discord", "mail"],
        '{}:{service="shop"}',
    )
    assert [m["channel"] for m in route["messages"]] == ["discord", "mail"]
    assert "hetrixtools_response_time" in route["messages"][0]["title"]


def test_no_channels_says_nothing_is_sent(tmp_path: Path) -> None:
    config = write_config(tmp_path / "empty.yaml", {})
    result = run_cli("routes", "test", "--labels", "service=api", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "channels: (none: nothing is sent)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --labels"),
        (("--labels", "service"), "must be name=value"),
        (("--alert", "/no/such/file.json"), "cannot read"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(config: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli("routes", "test", *args, "--config", str(config))
    assert result.returncode == 2
    assert message in result.stderr


def test_check_config_reports_bad_matchers_and_time_intervals(tmp_path: Path) -> None:
    bad = {
        "route": {"routes": [{"matchers": ['severity=~"("']}]},
        "inhibit_rules": [{"source_matchers": ["a"]}],
        "time_intervals": [{"name": "n", "time_intervals": [{"weekdays": ["someday"]}]}],
    }
    result = run_cli("check-config", "--config", str(write_config(tmp_path / "bad.yaml", bad)))
    assert result.returncode == 1
    for location in (
        "route.routes[0].matchers[0]:",
        "inhibit_rules[0].source_matchers[0]:",
        "time_intervals[0].time_intervals[0].weekdays[0]:",
    ):
        assert location in result.stderr


def test_a_seed_body_is_read_as_ingest_reads_it(config: Path, tmp_path: Path) -> None:
    """The identifying keys inside `<x>_data` are labels at ingest: the test shows the same group."""
    alert = tmp_path / "seed.json"
    alert.write_text((FIXTURES / "seed" / "hetrixtools_downtime.json").read_text(), encoding="utf-8")
    result = run_cli("routes", "test", "--alert", str(alert), "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["labels"]["service"] == "Shop API" and answer["labels"]["url"] == "https://api.example.com/health"
    assert answer["labels"]["severity"] == "critical", "a monitor reported down is critical, as at ingest"
    assert [r["group_key"] for r in answer["routes"]] == ['{}/{severity=~"high|critical"}/0:{service="Shop API"}']


def test_an_alertmanager_alert_file(config: Path, tmp_path: Path) -> None:
    alert = tmp_path / "am.json"
    body = [{"labels": {"alertname": "DiskFull", "service": "api", "severity": "page"}, "annotations": {"x": "y"}}]
    alert.write_text(json.dumps(body), encoding="utf-8")
    result = run_cli("routes", "test", "--alert", str(alert), "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["labels"]["alertname"] == "DiskFull"
    assert answer["labels"]["severity"] == "critical", "Alertmanager's `page` is read as at ingest"
    assert [r["group_key"] for r in answer["routes"]] == [
        '{}/{severity=~"high|critical"}/0:{service="api"}',
        '{}/{service="api"}/1:{service="api"}',
    ]


@pytest.mark.parametrize("args", [("--labels", "service=api,severity=crit"), ("--labels", "severity=")])
def test_an_unknown_severity_is_an_error_not_a_warning(config: Path, args: tuple[str, ...]) -> None:
    result = run_cli("routes", "test", *args, "--config", str(config))
    assert result.returncode == 2, result.stdout
    assert "unknown severity" in result.stderr and "--labels severity" in result.stderr


def test_a_severity_alias_is_understood(config: Path) -> None:
    result = run_cli("routes", "test", "--labels", "service=api,severity=error", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["labels"]["severity"] == "high"
