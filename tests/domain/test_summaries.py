"""Every summary our sources write reads back in Korean, and nothing else is touched."""

from __future__ import annotations

from string import Formatter

import pytest

from alerthub.domain.summaries import SUMMARIES, say, translate

SAMPLE = {
    "duration": "1h 2m",
    "duration_every": "1d",
    "duration_grace": "30m",
    "day": "Friday",
    "errors": "London: timeout",
    "lists": "zen.spamhaus.org, b.barracudacentral.org",
}


def fields(key: str) -> dict[str, str]:
    names = [f for _, f, _, _ in Formatter().parse(SUMMARIES[key][0]) if f]
    return {name: SAMPLE.get(name, f"{name} 7") for name in names}


@pytest.mark.parametrize("key", sorted(SUMMARIES))
def test_each_english_summary_reads_back_in_korean(key: str) -> None:
    given = fields(key)
    korean = translate(say(key, **given), "ko")
    expected = SUMMARIES[key][1].format(
        **{**given, "duration": "1시간 2분", "duration_every": "1일", "duration_grace": "30분", "day": "금요일"}
    )
    assert korean == expected
    assert translate(say(key, **given), "en") == say(key, **given)


def test_text_from_elsewhere_passes_unchanged() -> None:
    assert translate("Disk almost full on db-1", "ko") == "Disk almost full on db-1"
    assert translate("", "ko") == ""
