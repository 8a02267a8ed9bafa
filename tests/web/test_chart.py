from datetime import UTC, datetime, timedelta

from alerthub.domain.severity import Severity
from alerthub.services.dashboard import HourBucket
from alerthub.web import chart


def test_nice_ceiling() -> None:
    assert [chart.nice_ceiling(n) for n in (0, 1, 2, 3, 6, 11, 99, 101)] == [1, 1, 2, 5, 10, 20, 100, 200]


def test_bars_stack_critical_at_the_bottom_and_scale_to_the_busiest_hour() -> None:
    start = datetime(2026, 11, 26, 22, tzinfo=UTC)
    hours = [
        HourBucket(start, {Severity.WARNING: 3, Severity.CRITICAL: 1}),
        HourBucket(start + timedelta(hours=1), {}),
        HourBucket(start + timedelta(hours=2), {Severity.HIGH: 10}),
    ]
    drawn = chart.build(hours, {"critical": "심각", "warning": "경고", "high": "높음"}, "ko")
    assert len(drawn.bars) == 2, "empty hours draw nothing"
    first = drawn.bars[0]
    assert [s.severity for s in first.segments] == ["critical", "warning"]
    assert first.segments[0].y > first.segments[1].y, "critical sits below warning"
    assert first.title == "2026-11-26 22:00 UTC: 심각 1, 경고 3"
    busiest = drawn.bars[1].segments[0]
    assert abs(busiest.h - 2.5 * sum(s.h for s in first.segments)) < 0.1, "10 alerts stand 2.5 times as tall as 4"
    assert [label for _, label in drawn.gridlines] == ["0", "2", "4", "6", "8", "10"]
    assert drawn.days == [(drawn.days[0][0], "11-27 금")], "midnight gets a day label"
