from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str | None, default: Severity | None = None) -> Severity | None:
        """Map the words other tools use (PagerDuty `error`, Sentry `fatal`) onto our four levels."""
        if text is None:
            return default
        return _ALIASES.get(text.strip().lower(), default)


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}

_ALIASES: dict[str, Severity] = {
    "info": Severity.INFO,
    "information": Severity.INFO,
    "informational": Severity.INFO,
    "low": Severity.INFO,
    "debug": Severity.INFO,
    "none": Severity.INFO,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "minor": Severity.WARNING,
    "medium": Severity.WARNING,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "major": Severity.HIGH,
    "critical": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "emergency": Severity.CRITICAL,
}
