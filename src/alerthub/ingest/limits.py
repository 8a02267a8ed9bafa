"""Bounds on what one signal may carry, so one sender cannot bloat the store or a message."""

from __future__ import annotations

from dataclasses import replace

from alerthub.domain.signal import Signal
from alerthub.errors import InputError, Problem

MAX_LABELS = 64
MAX_LABEL_NAME = 128
MAX_LABEL_VALUE = 1024
MAX_ANNOTATION_VALUE = 16 * 1024
MAX_RULE_NAME = 200


def bounded(signal: Signal, where: str) -> Signal:
    """Reject what identifies an alert when it is too big (truncating would merge alerts);
    truncate only human text."""
    problems: list[Problem] = []
    if not signal.rule_name or len(signal.rule_name) > MAX_RULE_NAME:
        problems.append(Problem(f"{where}.rule_name", f"must be 1 to {MAX_RULE_NAME} characters"))
    if len(signal.labels) > MAX_LABELS:
        problems.append(Problem(f"{where}.labels", f"at most {MAX_LABELS} labels, got {len(signal.labels)}"))
    for name, value in signal.labels.items():
        if not name or len(name) > MAX_LABEL_NAME:
            problems.append(Problem(f"{where}.labels", f"label name must be 1 to {MAX_LABEL_NAME} characters"))
        elif len(value) > MAX_LABEL_VALUE:
            problems.append(Problem(f"{where}.labels.{name}", f"at most {MAX_LABEL_VALUE} characters"))
    if problems:
        raise InputError("signal exceeds limits: " + "; ".join(map(str, problems[:3])), problems)
    if any(len(v) > MAX_ANNOTATION_VALUE for v in signal.annotations.values()):
        annotations = {k: _cut(v, MAX_ANNOTATION_VALUE) for k, v in signal.annotations.items()}
        return replace(signal, annotations=annotations)
    return signal


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
