from datetime import timedelta

import pytest

from alerthub.config.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(minutes=90)),
        ("250ms", timedelta(milliseconds=250)),
        ("2d", timedelta(days=2)),
        ("0s", timedelta(0)),
        (45, timedelta(seconds=45)),
        ("45", timedelta(seconds=45)),
        (1.5, timedelta(seconds=1.5)),
    ],
)
def test_prometheus_style_durations(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["soon", "5 minutes", "m5", "-5m", -1, True, "", "5m3"])
def test_bad_durations_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="duration|negative"):
        parse_duration(bad)
