"""`alerthub backtest`: what the hub would have sent over a past span, under the running configuration
and under another one, found by replaying the signal log through the real rules and pipeline.

Each configuration gets its own replay (services/backtest_replay.py): a throwaway SQLite database in
`workdir`, boxes built for it by the composition root (`build`), driven under a simulated clock
(services/replay.py), the outbox counted (services/backtest_tally.py). Nothing is sent. What a replay
cannot know: acknowledgements and resolutions by people, and silences other than as the hub stored them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alerthub.config.models import Config
from alerthub.services.backtest_apart import Job, side_by_side
from alerthub.services.backtest_replay import WARM_UP, HubFactory, Progress, replay_configuration
from alerthub.services.backtest_tally import ChannelCount, Outcome
from alerthub.store import signal_log
from alerthub.store.database import Database

__all__ = ["WARM_UP", "Backtest", "BacktestReport", "HubFactory", "Progress", "changed"]


@dataclass(frozen=True, slots=True)
class RuleChange:
    rule: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class ChannelChange:
    receiver: str
    channel: str
    before: ChannelCount
    after: ChannelCount


@dataclass(frozen=True, slots=True)
class BacktestReport:
    """`new` is None when no other configuration was given: the running one alone was replayed."""

    since: datetime
    until: datetime
    signals: int
    running: Outcome
    new: Outcome | None

    def channels(self) -> list[ChannelChange]:
        after = self.new or self.running
        before_by = {(c.receiver, c.channel): c for c in self.running.channels}
        after_by = {(c.receiver, c.channel): c for c in after.channels}
        return [
            ChannelChange(r, c, before_by.get((r, c), ChannelCount(r, c)), after_by.get((r, c), ChannelCount(r, c)))
            for r, c in sorted(before_by.keys() | after_by.keys())
        ]

    def rules(self) -> list[RuleChange]:
        """Every rule that sent a message under either configuration, the largest change first."""
        after = (self.new or self.running).rules
        names = self.running.rules.keys() | after.keys()
        found = [RuleChange(n, self.running.rules.get(n, 0), after.get(n, 0)) for n in names]
        return sorted(found, key=lambda c: (-abs(c.change), -c.before, c.rule))


class Backtest:
    def __init__(self, source: Database, build: HubFactory, workdir: Path, *, apart: bool = True) -> None:
        """`source`: the hub's database, whose log, silences and overrides are read, never written. `apart`:
        two replays run in processes of their own (services/backtest_apart.py), `build` then being a
        module-level function; else one after the other in this one."""
        self.source = source
        self.build = build
        self.workdir = workdir
        self.apart = apart

    async def signals(self, since: datetime, until: datetime) -> int:
        async with self.source.read() as conn:
            return await signal_log.count(conn, since, until)

    async def to_replay(self, since: datetime, until: datetime, configs: int) -> int:
        """How many logged signals `run` replays in all, warm-up included: a progress bar's total."""
        return configs * await self.signals(since - WARM_UP, until)

    async def run(
        self, running: Config, new: Config | None, since: datetime, until: datetime, progress: Progress | None = None
    ) -> BacktestReport:
        heard = progress or (lambda _n: None)
        configs = [running] if new is None else [running, new]
        dirs = [self.workdir / name for name in ("running", "new")]
        if self.apart and len(configs) > 1:
            jobs = [Job(self.source.url, self.build, d, c, (since, until)) for d, c in zip(dirs, configs, strict=False)]
            outcomes = await side_by_side(jobs, heard)
        else:
            outcomes = [
                await replay_configuration(self.source, self.build, d, c, (since, until), heard)
                for d, c in zip(dirs, configs, strict=False)
            ]
        after = outcomes[1] if new is not None else None
        return BacktestReport(since, until, await self.signals(since, until), outcomes[0], after)


def changed(report: BacktestReport, limit: int) -> Sequence[RuleChange]:
    """The rules whose message count changed, the largest change first, at most `limit`."""
    return [c for c in report.rules() if c.change][:limit]
