"""The overview's stacked bar chart, computed here and drawn as inline SVG by the template (no script,
no library). Every number is ours; the only text is our own labels."""

from __future__ import annotations

from dataclasses import dataclass

from alerthub.domain.severity import Severity
from alerthub.services.dashboard import HourBucket

WIDTH, HEIGHT, LEFT, BOTTOM_PAD = 840.0, 190.0, 30.0, 18.0
# Critical at the bottom of each stack: the part that matters most sits on the baseline.
STACK_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.WARNING, Severity.INFO)


@dataclass(frozen=True)
class Segment:
    severity: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Bar:
    title: str
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    left: float
    plot_bottom: float
    bars: list[Bar]
    gridlines: list[tuple[float, str]]
    days: list[tuple[float, str]]


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), "ko": ("월", "화", "수", "목", "금", "토", "일")}


def build(hours: list[HourBucket], severity_names: dict[str, str], lang: str = "en") -> Chart:
    plot_bottom = HEIGHT - BOTTOM_PAD
    top = nice_ceiling(max((h.total for h in hours), default=0))
    scale = (plot_bottom - 6) / top
    slot = (WIDTH - LEFT) / max(len(hours), 1)
    bars: list[Bar] = []
    days: list[tuple[float, str]] = []
    for i, hour in enumerate(hours):
        x = LEFT + i * slot
        if hour.start.hour == 0:
            weekday = WEEKDAYS.get(lang, WEEKDAYS["en"])[hour.start.weekday()]
            days.append((round(x, 2), f"{hour.start:%m-%d} {weekday}"))
        if not hour.total:
            continue
        y = plot_bottom
        segments: list[Segment] = []
        for sev in STACK_ORDER:
            n = hour.counts.get(sev, 0)
            if n:
                h = n * scale
                y -= h
                segments.append(
                    Segment(sev.value, round(x + 0.5, 2), round(y, 2), round(max(slot - 1, 1), 2), round(h, 2))
                )
        parts = ", ".join(
            f"{severity_names.get(s.value, s.value)} {hour.counts[s]}" for s in STACK_ORDER if hour.counts.get(s)
        )
        bars.append(Bar(f"{hour.start:%Y-%m-%d %H}:00 UTC: {parts}", segments))
    step = top // 5 if top >= 5 else 1
    grid = [(round(plot_bottom - v * scale, 2), str(v)) for v in range(0, top + 1, step)]
    return Chart(WIDTH, HEIGHT, LEFT, plot_bottom, bars, grid, days)
