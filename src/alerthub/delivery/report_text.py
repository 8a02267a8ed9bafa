"""A weekly noise report's lines, in the channel's language: the figures come in the payload
(domain/notification.NoiseReport), the words from the catalogue."""

from __future__ import annotations

from datetime import timedelta

from alerthub.domain.durations import format_duration
from alerthub.domain.notification import NoiseReport


def report_lines(report: NoiseReport, t: dict[str, str]) -> tuple[str, ...]:
    none = t["report_none"]
    rules = ", ".join(t["report_rule"].format(rule=r, fired=f, alerts=a) for r, f, a in report.rules) or none
    assets = ", ".join(t["report_asset"].format(asset=n, fired=f) for n, f in report.assets) or none
    lines = [
        f"{t['report_rules']}: {rules}",
        f"{t['report_assets']}: {assets}",
        t["report_messages"].format(n=report.messages, night=report.out_of_hours, clock=report.clock),
        t["report_times"].format(
            episodes=report.episodes, mtta=_span(report.mtta_seconds, none), mttr=_span(report.mttr_seconds, none)
        ),
        f"{t['report_flapping']}: {', '.join(report.flapping) or none}",
    ]
    if report.overview_url:
        lines.append(f"{t['report_overview']}: {report.overview_url}")
    return tuple(lines)


def _span(seconds: float | None, none: str) -> str:
    return none if seconds is None else format_duration(timedelta(seconds=round(seconds)))
