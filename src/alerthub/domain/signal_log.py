"""A signal as ingest accepted it, kept for `alerthub backtest` to replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerthub.domain.signal import Signal


@dataclass(frozen=True, slots=True)
class LoggedSignal:
    """`received_at` is the clock of the ingest transaction that took it: signals that shared a transaction
    share it, and a replay takes them together again. `signal` is as the rules saw it (limits applied,
    before the asset tag, which a replay derives again from its own configuration). `passthrough`: it came
    by a path that accepts rule names no rule has (Alertmanager's `alertname`, PagerDuty events), so a
    replay under a configuration without its rule keeps it rather than dropping it."""

    received_at: datetime
    signal: Signal
    passthrough: bool


@dataclass(frozen=True, slots=True)
class SourceActivity:
    """What one source has sent, by the signal log: when its last signal arrived, and how many arrived
    since a moment the reader chose (`received_since`: 0 when it has been quiet since)."""

    source: str
    last_received_at: datetime
    received_since: int
