"""The alert page's value over time, computed here and drawn as inline SVG by the template (no script, no
library): the readings as a line, the rule's thresholds as horizontal lines.

The plot stretches to the card's width (an inner SVG with `preserveAspectRatio="none"`, x from 0 to
`PLOT_WIDTH`) while its height is fixed in pixels, so the labels around it keep their size on a phone.
Every number here is ours; the template escapes the rest."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from alerthub.domain.alert import AlertEvent

PLOT_WIDTH = 1000.0  # the inner viewBox's width: x is a share of the card's width
TOP, PLOT_HEIGHT = 16.0, 110.0  # pixels: room above for the top gridline's label
LABEL_Y, HEIGHT = 144.0, 152.0  # the time labels' baseline; the whole drawing
MAX_POINTS = 200  # beyond this a line is no clearer, only heavier
LABEL_ROOM = 13.0  # pixels between two labels' baselines
DOTS_UP_TO = 40  # few enough readings to mark each one (with its time and value on hover)
_EDGE = 0.01  # room at each end, so that the first and last readings' dots are not cut in half

Reading = tuple[datetime, float | None]


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    value: float
    x: float  # share of the width, 0..1
    y: float  # pixels from the top of the drawing

    @property
    def x_plot(self) -> float:
        return round(self.x * PLOT_WIDTH, 2)

    @property
    def x_percent(self) -> float:
        return round(self.x * 100, 2)


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal line: a gridline (`name` empty) or a threshold (`name` its severity)."""

    name: str
    value: float
    y: float


@dataclass(frozen=True, slots=True)
class TimeTick:
    at: datetime
    x_percent: float
    anchor: str  # start, middle, end: the first label starts at the left edge, the last ends at the right
    unit: str  # the finest part a label shows: "day" past a day (which day, and the time), "second" within minutes

    @property
    def utc_text(self) -> str:
        """Until the page's script puts it in the reader's time zone."""
        return self.at.strftime(_TIME_FORMATS[self.unit]) + " UTC"


_TIME_FORMATS = {"day": "%m-%d %H:%M", "minute": "%H:%M", "second": "%H:%M:%S"}


@dataclass(frozen=True, slots=True)
class ValueChart:
    points: list[Point]
    grid: list[Level]
    thresholds: list[Level]
    times: list[TimeTick]
    readings: int  # how many readings there were before any thinning

    height = HEIGHT
    label_y = LABEL_Y
    plot_width = PLOT_WIDTH

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x_plot},{p.y}" for p in self.points)

    @property
    def dots(self) -> list[Point]:
        return self.points if len(self.points) <= DOTS_UP_TO else []

    @property
    def grid_labels(self) -> list[Level]:
        """The gridlines whose value is written, above the line at the left edge: those a threshold's own
        label (written there too) leaves room for."""
        return [g for g in self.grid if all(abs(g.y - line.y) >= LABEL_ROOM for line in self.thresholds)]


def readings_of(events: Iterable[AlertEvent], latest: Reading) -> list[Reading]:
    """The values the alert's history recorded, and its latest value (`latest`: when it was last seen, and
    its value then) if that came later: a signal that changes neither state nor severity writes no history."""
    found: list[Reading] = [(e.at, e.value) for e in events if e.value is not None]
    at, value = latest
    if value is not None and all(at > seen for seen, _ in found):
        found.append(latest)
    return found


def build(readings: Sequence[Reading], thresholds: Sequence[tuple[str, float]]) -> ValueChart | None:
    """The chart of `readings` (time, value; None values skipped, any order) against `thresholds`
    (severity, limit); None without a single value to draw."""
    kept = sorted(((at, v) for at, v in readings if v is not None and math.isfinite(v)), key=lambda r: r[0])
    if not kept:
        return None
    lo, hi, step = _value_range([v for _, v in kept] + [limit for _, limit in thresholds])
    first, last = kept[0][0], kept[-1][0]
    span = (last - first).total_seconds()

    def y(value: float) -> float:
        return round(TOP + PLOT_HEIGHT * (hi - value) / (hi - lo), 2)

    def x(at: datetime) -> float:
        share = (at - first).total_seconds() / span if span else 0.5
        return _EDGE + (1 - 2 * _EDGE) * share

    points = [Point(at, v, x(at), y(v)) for at, v in thin(kept, MAX_POINTS)]
    grid = [Level("", round(lo + i * step, 10), y(lo + i * step)) for i in range(round((hi - lo) / step) + 1)]
    lines = [Level(name, limit, y(limit)) for name, limit in thresholds]
    return ValueChart(points, grid, lines, _time_ticks(first, last), len(kept))


def thin(readings: Sequence[tuple[datetime, float]], most: int) -> list[tuple[datetime, float]]:
    """At most `most` readings, in time order: the lowest and the highest of each of `most // 2` runs of
    neighbours, so that a spike survives the thinning however short it was."""
    if len(readings) <= most:
        return list(readings)
    runs = most // 2
    size = math.ceil(len(readings) / runs)
    kept: list[tuple[datetime, float]] = []
    for start in range(0, len(readings), size):
        run = readings[start : start + size]
        low = min(range(len(run)), key=lambda i: run[i][1])
        high = max(range(len(run)), key=lambda i: run[i][1])
        kept.extend(run[i] for i in sorted({low, high}))
    return kept


def _value_range(values: Sequence[float]) -> tuple[float, float, float]:
    """Round bounds around every value and threshold, and the step between gridlines: never flat, and not
    below zero for values that are not."""
    lo, hi = min(values), max(values)
    if lo == hi:
        pad = abs(lo) / 10 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step((hi - lo) / 4)
    low = math.floor(lo / step) * step
    if min(values) >= 0:
        low = max(low, 0.0)
    return low, math.ceil(hi / step) * step, step


def nice_step(raw: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above `raw` (> 0)."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(f * power for f in (1, 2, 5, 10) if f * power >= raw * (1 - 1e-9))


def _time_ticks(first: datetime, last: datetime) -> list[TimeTick]:
    span = last - first
    if span.days >= 1 or first.date() != last.date():
        unit = "day"
    else:
        unit = "second" if span.total_seconds() < 180 else "minute"
    if not span:
        return [TimeTick(first, 50.0, "middle", unit)]
    return [
        TimeTick(first, _EDGE * 100, "start", unit),
        TimeTick(first + span / 2, 50.0, "middle", unit),
        TimeTick(last, 100 - _EDGE * 100, "end", unit),
    ]
