"""Alertmanager's time_intervals: each field, ranges, negative days, time zones, and config errors with
their location."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from alerthub.config.models import TimeIntervalConfig
from alerthub.errors import ConfigError
from alerthub.pipeline.timeintervals import build_time_intervals

OFFICE = {"start_time": "09:00", "end_time": "18:00"}
WHERE = "time_intervals[0].time_intervals[0]"


def interval(**spec: Any) -> Any:
    [built] = build_time_intervals(
        [TimeIntervalConfig.model_validate({"name": "x", "time_intervals": [spec]})]
    ).values()
    return built


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("spec", "moment", "inside"),
    [
        # 2026-11-27 is a Friday.
        ({"times": [{"start_time": "09:00", "end_time": "17:00"}]}, "2026-11-27T09:00", True),
        ({"times": [{"start_time": "09:00", "end_time": "17:00"}]}, "2026-11-27T17:00", False),  # end exclusive
        ({"times": [{"start_time": "22:00", "end_time": "24:00"}]}, "2026-11-27T23:59", True),
        ({"weekdays": ["monday:friday"]}, "2026-11-27T12:00", True),
        ({"weekdays": ["saturday", "sunday"]}, "2026-11-28T12:00", True),
        ({"weekdays": ["Saturday", "sunday"]}, "2026-11-27T12:00", False),
        ({"days_of_month": ["-1"]}, "2026-11-30T12:00", True),  # the last day, whatever the month's length
        ({"days_of_month": ["-1"]}, "2026-11-29T12:00", False),
        ({"days_of_month": ["1:7", "-3:-1"]}, "2026-02-26T12:00", True),
        ({"days_of_month": ["25:31"]}, "2026-02-28T12:00", True),
        ({"months": ["november", "1:2"]}, "2026-11-01T00:00", True),
        ({"months": ["december"]}, "2026-11-30T23:59", False),
        ({"years": ["2025:2026"]}, "2026-01-01T00:00", True),
        ({"years": ["2027"]}, "2026-12-31T23:59", False),
        # Business hours in Seoul: 09:00 KST is 00:00 UTC.
        ({"times": [{"start_time": "09:00", "end_time": "18:00"}], "location": "Asia/Seoul"}, "2026-11-27T00:00", True),
        (
            {"times": [{"start_time": "09:00", "end_time": "18:00"}], "location": "Asia/Seoul"},
            "2026-11-27T09:00",
            False,
        ),
        ({"weekdays": ["friday"], "location": "America/New_York"}, "2026-11-28T03:00", True),  # still Friday there
        ({}, "2026-11-27T12:00", True),
    ],
)
def test_contains(spec: dict[str, Any], moment: str, inside: bool) -> None:
    assert interval(**spec).contains(at(moment)) is inside


def test_all_fields_must_match() -> None:
    spec = {"weekdays": ["monday:friday"], "times": [{"start_time": "09:00", "end_time": "17:00"}]}
    assert interval(**spec).contains(at("2026-11-27T10:00"))
    assert not interval(**spec).contains(at("2026-11-28T10:00"))
    assert not interval(**spec).contains(at("2026-11-27T18:00"))


@pytest.mark.parametrize(
    ("spec", "location"),
    [
        (
            {"times": [{"start_time": "9am", "end_time": "17:00"}]},
            f"{WHERE}.times[0].start_time",
        ),
        ({"times": [{"start_time": "17:00", "end_time": "09:00"}]}, f"{WHERE}.times[0]"),
        (
            {"times": [{"start_time": "00:00", "end_time": "24:01"}]},
            f"{WHERE}.times[0].end_time",
        ),
        ({"weekdays": ["funday"]}, f"{WHERE}.weekdays[0]"),
        ({"weekdays": ["friday:monday"]}, f"{WHERE}.weekdays[0]"),
        ({"days_of_month": ["0"]}, f"{WHERE}.days_of_month[0]"),
        ({"days_of_month": ["10:2"]}, f"{WHERE}.days_of_month[0]"),
        ({"months": ["13"]}, f"{WHERE}.months[0]"),
        ({"location": "Mars/Olympus"}, f"{WHERE}.location"),
    ],
)
def test_bad_specs_are_config_errors_with_locations(spec: dict[str, Any], location: str) -> None:
    with pytest.raises(ConfigError) as caught:
        interval(**spec)
    assert [p.location for p in caught.value.problems] == [location]
