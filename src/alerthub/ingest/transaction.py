"""Signals in, alert changes out: one transaction per request however many signals it carries, and
concurrent requests share a transaction (group commit) so a burst costs one commit, not one each."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from alerthub.domain.alert import Alert, AlertChange
from alerthub.domain.clock import Clock
from alerthub.domain.labels import fingerprint
from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal
from alerthub.ingest.assets import ASSET_LABEL, AssetTagger
from alerthub.ingest.hooks import Hooks
from alerthub.ingest.limits import bounded
from alerthub.rules.lifecycle import apply_signal, resolve
from alerthub.rules.ruleset import RuleSet
from alerthub.rules.verdict import Outcome, judge
from alerthub.store import alerts as alert_store
from alerthub.store import signal_log
from alerthub.store.database import Database
from alerthub.store.events import deferred
from alerthub.store.group_commit import GroupCommit

logger = logging.getLogger(__name__)

_INSERT_RACE_RETRIES = 3
# Signals per shared transaction: big enough to amortise a commit, small enough that the first
# request of a batch is not kept waiting long behind the others.
_GROUP_COMMIT_SIGNALS = 2000
# PostgreSQL waits for its WAL flush at each commit; a few transactions in flight share one flush.
_PG_BATCHES_IN_FLIGHT = 2


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What the sender is told: the alert its signal touched, and `ok` when nothing fires."""

    alert_id: int | None
    fingerprint: str
    state: str
    severity: Severity | None


@dataclass(frozen=True, slots=True)
class _Planned:
    signal: Signal
    rule: Rule
    fingerprint: str
    targets: tuple[str, ...]
    # For the signal log: the signal before its asset tag, and whether its path accepts unknown rule names.
    sent: Signal
    passthrough: bool


class IngestService:
    def __init__(
        self,
        db: Database,
        rules: RuleSet,
        clock: Clock,
        hooks: Hooks | None = None,
        assets: AssetTagger | None = None,
    ) -> None:
        self.db = db
        self.assets = assets or AssetTagger()
        self.rules = rules
        self.clock = clock
        self.hooks = hooks or Hooks()
        self._group: GroupCommit[list[_Planned], list[IngestResult]] = GroupCommit(
            self._commit, max_size=_GROUP_COMMIT_SIGNALS, concurrency=1 if db.is_sqlite else _PG_BATCHES_IN_FLIGHT
        )

    async def ingest(self, signals: Sequence[Signal], *, known_rules_only: bool = True) -> list[IngestResult]:
        planned = [self._plan(s, i, known_rules_only) for i, s in enumerate(signals)]
        if not planned:
            return []
        return await self._group.submit(planned, len(planned))

    async def _commit(self, requests: list[list[_Planned]]) -> list[list[IngestResult]]:
        """One transaction for several requests, applied in arrival order as if sent one after another."""
        planned = [p for request in requests for p in request]
        for attempt in range(_INSERT_RACE_RETRIES):
            try:
                results, changes = await self._apply(planned)
                break
            except IntegrityError:
                # Another instance inserted one of our new fingerprints first; redo with its row.
                if attempt == _INSERT_RACE_RETRIES - 1:
                    raise
                logger.info("ingest retried after a concurrent insert", extra={"attempt": attempt + 1})
        self.hooks.run_after_commit(changes)
        out, start = [], 0
        for request in requests:
            out.append(results[start : start + len(request)])
            start += len(request)
        return out

    def _plan(self, signal: Signal, index: int, known_rules_only: bool) -> _Planned:
        rule = (
            self.rules.require(signal.rule_name)
            if known_rules_only
            else self.rules.passthrough_for(signal.rule_name, signal.source)
        )
        sent = signal = bounded(signal, f"body[{index}]" if index else "body")
        labels = {**rule.labels, **signal.labels}
        targets = tuple(fingerprint(name, labels, signal.identity) for name in rule.resolves)
        identity = fingerprint(rule.name, labels, signal.identity)
        # After the fingerprint: an asset added to or renamed in the configuration never splits an alert.
        asset = self.assets.asset_of(rule.name, labels) if self.assets else None
        if asset is not None:
            signal = replace(signal, labels={**signal.labels, ASSET_LABEL: asset})
        return _Planned(signal, rule, identity, targets, sent, not known_rules_only)

    async def _apply(self, planned: list[_Planned]) -> tuple[list[IngestResult], list[AlertChange]]:
        now = self.clock()
        wanted = [p.fingerprint for p in planned] + [t for p in planned for t in p.targets]
        async with self.db.write() as conn, deferred(conn):
            current = await alert_store.load_by_fingerprints(conn, wanted, for_update=True)
            merged: dict[str, AlertChange] = {}
            outcomes = [self._step(p, current, merged, now) for p in planned]
            saved = await alert_store.save_changes(conn, list(merged.values()))
            await signal_log.append(conn, now, [(p.sent, p.passthrough) for p in planned])
            await self.hooks.run_in_transaction(conn, saved, now)
        ids = {c.after.fingerprint: c.after.id for c in saved}
        results = [_result(p, outcome, ids) for p, outcome in zip(planned, outcomes, strict=True)]
        return results, saved

    def _step(
        self, p: _Planned, current: dict[str, Alert], merged: dict[str, AlertChange], now: datetime
    ) -> tuple[str, Alert | None]:
        verdict = judge(p.signal, p.rule)
        touched: Alert | None = None
        if p.rule.creates_alerts or verdict.outcome is not Outcome.FIRE:
            change = apply_signal(current.get(p.fingerprint), p.signal, p.rule, verdict, p.fingerprint, now)
            if change is not None:
                _merge(merged, current, change)
                touched = change.after
        if verdict.outcome is Outcome.FIRE:
            for target in p.targets:
                open_alert = current.get(target)
                if open_alert is not None and open_alert.state.is_open:
                    change = resolve(open_alert, f"rule:{p.rule.name}", f"resolved by {p.rule.name}", now)
                    _merge(merged, current, change)
                    touched = touched or change.after
        fires = verdict.outcome is Outcome.FIRE and p.rule.creates_alerts
        state = touched.state.value if fires and touched else "ok"
        return state, touched


def _merge(merged: dict[str, AlertChange], current: dict[str, Alert], change: AlertChange) -> None:
    fp = change.after.fingerprint
    earlier = merged.get(fp)
    if earlier is not None:
        change = AlertChange(earlier.before, change.after, earlier.events + change.events)
    merged[fp] = change
    current[fp] = change.after


def _result(p: _Planned, outcome: tuple[str, Alert | None], ids: dict[str, int | None]) -> IngestResult:
    state, alert = outcome
    if alert is None:
        return IngestResult(None, p.fingerprint, state, None)
    return IngestResult(
        ids.get(alert.fingerprint, alert.id),
        alert.fingerprint,
        state,
        alert.severity if state != "ok" else None,
    )
