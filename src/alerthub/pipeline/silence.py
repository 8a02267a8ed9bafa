"""Silences as a `Muter`: an alert matched by every matcher of an active silence is muted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from alerthub.domain.clock import utc_text
from alerthub.domain.silence import Silence, SilenceState
from alerthub.pipeline.batch import Batch, Member
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

    def mutes(self, member: Member, batch: Batch) -> tuple[str, str] | None:
        silence = self.silenced_by(member.labels, batch.now)
        if silence is None:
            return None
        until = utc_text(silence.ends_at)
        return (
            f"silence:{silence.id}",
            f"silenced by {silence.id} until {until} ({silence.created_by}: {silence.comment})",
        )
