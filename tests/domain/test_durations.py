from __future__ import annotations

from datetime import timedelta

import pytest

from alerthub.domain.durations import format_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (-5, "0s"), (45, "45s"), (60, "1m"), (360, "6m"), (390, "6m 30s"), (3600, "1h"), (3720, "1h 2m"),
     (3725, "1h 2m"), (90000, "1d 1h"), (86400 * 3, "3d"), (0.9, "0s")],
)  # fmt: skip
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
