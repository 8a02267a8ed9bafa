"""The silence stage: an alert matched by every matcher of an active silence is muted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from alerthub.domain.silence import Silence, SilenceState
from alerthub.pipeline.batch import Batch, Member, Muted, StageResult
from alerthub.pipeline.matchers import Matcher, MatcherError, Matchers


def compile_silence(silence: Silence) -> Matchers:
    return Matchers(tuple(Matcher.from_label_matcher(m) for m in silence.matchers))


class Silencer:
    def __init__(self, silences: Sequence[Silence]) -> None:
        self.silences: list[tuple[Silence, Matchers]] = []
        for s in silences:
            try:
                self.silences.append((s, compile_silence(s)))
            except MatcherError:
                continue  # validated on the way in; a stored bad one must not stop the pipeline

    def silenced_by(self, labels: Mapping[str, str], now: datetime) -> Silence | None:
        for silence, matchers in self.silences:
            if silence.state(now) is SilenceState.ACTIVE and matchers.matches(labels):
                return silence
        return None


class SilenceStage:
    name = "silence"

    def __init__(self, silencer: Silencer) -> None:
        self.silencer = silencer

    def run(self, batch: Batch) -> StageResult:
        kept: list[Member] = []
        muted: list[Muted] = []
        for m in batch.members:
            silence = self.silencer.silenced_by(m.labels, batch.now)
            if silence is None:
                kept.append(m)
                continue
            until = silence.ends_at.isoformat().replace("+00:00", "Z")
            reason = f"silenced by {silence.id} until {until} ({silence.created_by}: {silence.comment})"
            muted.append(Muted(m, f"silence:{silence.id}", reason, self.name))
        return StageResult(batch.keep(tuple(kept)), tuple(muted))
