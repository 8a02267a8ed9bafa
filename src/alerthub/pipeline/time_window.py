"""The time-window stage: a route's `mute_time_intervals` and `active_time_intervals` hold back the whole
batch, as Alertmanager's `TimeMuteStage` and `TimeActiveStage` do."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from alerthub.pipeline.batch import Batch, Muted, StageResult, resolution_owed
from alerthub.pipeline.routing import Route
from alerthub.pipeline.timeintervals import TimeInterval


class TimeWindowStage:
    """Mutes the whole batch when now is inside a mute interval or outside every active interval."""

    name = "time_window"

    def __init__(self, intervals: Mapping[str, TimeInterval]) -> None:
        self.intervals = intervals

    def run(self, batch: Batch) -> StageResult:
        by, reason = self.cause(batch.group.route, batch.now)
        if by is None:
            return StageResult(batch)
        owed = tuple(m for m in batch.members if resolution_owed(m, batch))
        muted = tuple(Muted(m, by, reason, self.name) for m in batch.members if m not in owed)
        return StageResult(batch.keep(owed), muted)

    def cause(self, route: Route, now: datetime) -> tuple[str | None, str]:
        """`(by, reason)` when the route's intervals mute it at `now`: `by` reads `time:<names>`."""
        mute, active = route.mute_time_intervals, route.active_time_intervals
        for name in mute:
            interval = self.intervals.get(name)
            if interval is not None and interval.contains(now):
                return f"time:{name}", f"muted by time interval {name!r}"
        known = [n for n in active if n in self.intervals]
        if known and not any(self.intervals[n].contains(now) for n in known):
            return f"time:{','.join(known)}", f"outside the active time interval(s) {', '.join(map(repr, known))}"
        return None, ""
