"""One stage for every "should this alert be held back?" source that judges alerts one by one: silences
and inhibition are both `Muter`s, as in Alertmanager's `MuteStage`."""

from __future__ import annotations

from typing import Protocol

from alerthub.pipeline.batch import Batch, Member, Muted, StageResult, resolution_owed


class Muter(Protocol):
    def mutes(self, member: Member, batch: Batch) -> tuple[str, str] | None:
        """`(by, reason)` when `member` is held back: `by` names what (`silence:<id>`), `reason` says why."""
        ...


class MuteStage:
    def __init__(self, name: str, muter: Muter) -> None:
        self.name = name
        self.muter = muter

    def run(self, batch: Batch) -> StageResult:
        kept: list[Member] = []
        muted: list[Muted] = []
        for member in batch.members:
            found = None if resolution_owed(member, batch) else self.muter.mutes(member, batch)
            if found is None:
                kept.append(member)
            else:
                muted.append(Muted(member, found[0], found[1], self.name))
        return StageResult(batch.keep(tuple(kept)), tuple(muted))
