"""Silences as a person uses them: create (or change) one, read them, expire one early.

Validation follows Alertmanager: at least one matcher, valid regexes, not every matcher matching the
empty string (that would silence everything), an end after the start and in the future, a creator and a
comment. A start in the past means "now".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from alerthub.domain.clock import Clock
from alerthub.domain.recurrence import Recurrence
from alerthub.domain.silence import LabelMatcher, Silence, SilenceState
from alerthub.errors import ConflictError, InputError, NotFoundError, Problem
from alerthub.pipeline.matchers import Matcher, MatcherError
from alerthub.store import silences as store
from alerthub.store.database import Database


@dataclass(frozen=True, slots=True)
class SilenceDraft:
    matchers: tuple[LabelMatcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    id: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    recurrence: Recurrence | None = None


class SilenceService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def save(self, draft: SilenceDraft) -> Silence:
        """Create a silence, or change the one `draft.id` names (while it has not expired)."""
        now = self.clock()
        _validate(draft, now)
        # A start in the past means now; a recurring silence's start is its series' first occurrence,
        # which sets the time of day of every other one, so it stays as given.
        starts = draft.starts_at if draft.recurrence else max(draft.starts_at, now)
        async with self.db.write() as conn:
            if draft.id is None:
                silence = Silence(
                    str(uuid.uuid4()), draft.matchers, starts, draft.ends_at, draft.created_by, draft.comment, now, now
                )
                silence = replace(silence, annotations=dict(draft.annotations), recurrence=draft.recurrence)
                _has_an_occurrence(silence, now)
                await store.add(conn, silence)
                return silence
            current = await store.get(conn, draft.id, for_update=True)
            if current is None:
                raise NotFoundError(f"no silence with id {draft.id}", [Problem("body.id", "no such silence")])
            if current.state(now) is SilenceState.EXPIRED:
                raise ConflictError(f"silence {draft.id} has expired; create a new one without an id")
            if current.state(now) is SilenceState.ACTIVE:
                starts = current.starts_at  # an active silence keeps its start
            silence = replace(
                current,
                matchers=draft.matchers,
                starts_at=starts,
                ends_at=draft.ends_at,
                created_by=draft.created_by,
                comment=draft.comment,
                updated_at=now,
                annotations=dict(draft.annotations),
                recurrence=draft.recurrence,
            )
            _has_an_occurrence(silence, now)
            await store.replace(conn, silence)
            return silence

    async def get(self, silence_id: str) -> Silence:
        async with self.db.read() as conn:
            found = await store.get(conn, silence_id)
        if found is None:
            raise NotFoundError(f"no silence with id {silence_id}")
        return found

    async def list(self, states: Iterable[SilenceState] = ()) -> list[Silence]:
        """Active first (soonest end first), then pending (soonest start), then expired (latest end)."""
        now = self.clock()
        wanted = set(states)
        async with self.db.read() as conn:
            found = await store.list_all(conn)
        found = [s for s in found if not wanted or s.state(now) in wanted]
        order = {SilenceState.ACTIVE: 0, SilenceState.PENDING: 1, SilenceState.EXPIRED: 2}

        def key(s: Silence) -> tuple[int, float]:
            state = s.state(now)
            when = {SilenceState.ACTIVE: s.ends_at, SilenceState.PENDING: s.starts_at}.get(state)
            return order[state], when.timestamp() if when else -s.ends_at.timestamp()

        return sorted(found, key=key)

    async def expire(self, silence_id: str) -> Silence:
        now = self.clock()
        async with self.db.write() as conn:
            current = await store.get(conn, silence_id, for_update=True)
            if current is None:
                raise NotFoundError(f"no silence with id {silence_id}")
            if current.state(now) is SilenceState.EXPIRED:
                raise ConflictError(f"silence {silence_id} has already expired")
            starts = now if current.state(now) is SilenceState.PENDING else current.starts_at
            expired = replace(current, starts_at=starts, ends_at=now, updated_at=now)
            await store.replace(conn, expired)
        return expired


def _has_an_occurrence(silence: Silence, now: datetime) -> None:
    """A recurring silence whose every occurrence falls after its end would never mute anything."""
    if silence.recurrence is not None and silence.window(now) is None:
        raise InputError(
            "the recurring silence has no occurrence before endsAt",
            [Problem("body.recurrence.rrule", "no occurrence between now and endsAt")],
        )


def _validate(draft: SilenceDraft, now: datetime) -> None:
    problems: list[Problem] = []
    compiled: list[Matcher] = []
    if not draft.matchers:
        problems.append(Problem("body.matchers", "at least one matcher is required"))
    for i, m in enumerate(draft.matchers):
        try:
            compiled.append(Matcher.from_label_matcher(m))
        except MatcherError as exc:
            problems.append(Problem(f"body.matchers[{i}].value", str(exc)))
    if compiled and len(compiled) == len(draft.matchers) and all(m.matches({}) for m in compiled):
        problems.append(Problem("body.matchers", "at least one matcher must not match the empty string"))
    if draft.ends_at <= draft.starts_at:
        problems.append(Problem("body.endsAt", "must be after startsAt"))
    elif draft.ends_at <= now:
        problems.append(Problem("body.endsAt", "must be in the future"))
    if not draft.created_by.strip():
        problems.append(Problem("body.createdBy", "must not be empty"))
    if not draft.comment.strip():
        problems.append(Problem("body.comment", "must not be empty"))
    if problems:
        raise InputError("invalid silence: " + "; ".join(str(p) for p in problems[:3]), problems)
