"""The series a poller reports (rule + identifying labels), kept as JSON in `monitor_state.cursor`
between runs, so a series that disappears can be resolved rather than left firing."""

from __future__ import annotations

from typing import Any

from alerthub.domain.signal import Signal, SignalStatus


def series_entry(signal: Signal) -> list[Any]:
    """`[rule_name, labels, identity]`, JSON-ready."""
    return [signal.rule_name, dict(signal.labels), list(signal.identity) if signal.identity is not None else None]


def series_key(signal: Signal) -> str:
    return entry_key(series_entry(signal))


def entry_key(entry: Any) -> str:
    """What makes two entries the same alert; "" for an entry this version cannot read."""
    if not isinstance(entry, list) or len(entry) != 3:
        return ""
    rule, labels, identity = entry
    if not isinstance(labels, dict) or not (identity is None or isinstance(identity, list)):
        return ""
    names = sorted(labels if identity is None else (n for n in identity if n in labels))
    return str(rule) + "\x00" + "\x00".join(f"{n}={labels[n]}" for n in names)


def resolved_signal(source: str, monitor: str, entry: Any) -> Signal | None:
    if not entry_key(entry):
        return None
    rule, labels, identity = entry
    return Signal(
        rule_name=rule,
        source=source,
        labels={str(k): str(v) for k, v in labels.items()},
        annotations={"summary": f"{monitor} no longer reports this; resolved"},
        status=SignalStatus.RESOLVED,
        identity=tuple(identity) if identity is not None else None,
    )
