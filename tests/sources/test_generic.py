"""The generic field mapping read without a database."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from alerthub.domain.severity import Severity
from alerthub.domain.signal import SignalStatus
from alerthub.errors import InputError
from alerthub.sources.generic import SETTINGS, FieldMapping, check_fields, lookup, parse

GRAFANA_LIKE = FieldMapping(
    "grafana",
    fields={
        "rule_name": "alerts.0.labels.alertname",
        "status": "status",
        "value": "alerts.0.values.B",
        "severity": "alerts.0.labels.severity",
        "summary": "alerts.0.annotations.summary",
        "labels": "alerts.0.labels",
        "annotations.dashboard": "alerts.0.dashboardURL",
    },
)
BODY = {
    "status": "firing",
    "alerts": [
        {
            "labels": {"alertname": "HighLatency", "severity": "critical", "instance": "web-1"},
            "annotations": {"summary": "p95 over 2s"},
            "values": {"B": 2.7},
            "dashboardURL": "https://grafana.example/d/abc",
        }
    ],
}


def test_a_mapping_reads_dotted_paths_and_list_indexes() -> None:
    [signal] = parse(BODY, GRAFANA_LIKE)
    assert (signal.rule_name, signal.status, signal.value) == ("HighLatency", SignalStatus.FIRING, 2.7)
    assert signal.severity is Severity.CRITICAL
    assert signal.labels == {"alertname": "HighLatency", "severity": "critical", "instance": "web-1"}
    assert signal.annotations == {"dashboard": "https://grafana.example/d/abc", "summary": "p95 over 2s"}


def test_an_array_is_a_batch_and_the_endpoint_names_the_rule_by_default() -> None:
    signals = parse([{"value": "3"}, {"value": 4, "status": "OK"}], FieldMapping("disk"))
    assert [(s.rule_name, s.value, s.status) for s in signals] == [
        ("disk", 3.0, None),
        ("disk", 4.0, SignalStatus.RESOLVED),
    ]


def test_the_configured_rule_name_is_the_fallback() -> None:
    [signal] = parse({"status": "down"}, FieldMapping("kuma", "kuma_down", {"status": "status"}))
    assert (signal.rule_name, signal.status) == ("kuma_down", SignalStatus.FIRING)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"value": "fast"}, "body.value"),
        ({"value": True}, "body.value"),
        ({"value": "nan"}, "body.value"),
        ({"status": "maybe"}, "body.status"),
        ({"severity": "apocalyptic"}, "body.severity"),
        ({"labels": ["a"]}, "body.labels"),
        ({"labels": {"host": {"nested": 1}}}, "body.labels.host"),
        ({"summary": {"a": 1}}, "body.summary"),
        ([], "body"),
        ("text", "body"),
        ([{"value": 1}, {"value": "x"}], "body[1].value"),
    ],
)
def test_bad_values_name_the_place(body: Any, loc: str) -> None:
    with pytest.raises(InputError) as raised:
        parse(body, FieldMapping("x"))
    assert loc in [p.location for p in raised.value.problems]


def test_missing_paths_are_absent_not_errors() -> None:
    mapping = FieldMapping("x", fields={"value": "a.b.0", "labels.host": "h.name", "summary": "list.5"})
    [signal] = parse({"a": {"b": []}, "h": "not an object", "list": [1]}, mapping)
    assert (signal.value, signal.labels, signal.annotations) == (None, {}, {})
    assert lookup({"a": [{"b": 1}]}, "a.0.b") == 1


def test_check_fields_reports_unknown_keys_and_bad_paths() -> None:
    assert check_fields({"labels.host": "h", "value": "a.b", "annotations": "notes"}) == []
    problems = check_fields({"lables.host": "h", "value": "a..b", "labels.": "x"})
    assert len(problems) == 3


def test_a_misspelt_mapping_is_a_configuration_error() -> None:
    settings = {"integrations": {"generic": [{"name": "kuma", "fields": {"lables.host": "monitor.name"}}]}}
    with pytest.raises(ValidationError, match="unknown field 'lables.host'"):
        SETTINGS.read(settings["integrations"]["generic"])  # the check the registry runs on integrations.generic
