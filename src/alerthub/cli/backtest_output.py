"""How `alerthub backtest` prints its report: aligned columns for people, one JSON object for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer

from alerthub.config.models import Config
from alerthub.domain.clock import utc_text
from alerthub.domain.zones import local_zone_name
from alerthub.services.backtest import BacktestReport, changed
from alerthub.services.backtest_tally import ChannelCount, Outcome

TOP_RULES = 10
# (name of the running configuration, name of NEW or None)
Names = tuple[str, str | None]


def print_table(report: BacktestReport, names: Names, running: Config) -> None:
    compared = report.new is not None
    span = f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC"
    typer.echo(f"backtest {span}: {report.signals} signals replayed, nothing sent")
    if not report.signals:
        typer.echo("no signal was logged in that span: the log keeps storage.retention.signals (8d by default)")
    typer.echo(f"before: {names[0]}; after: {names[1]}" if compared else f"configuration: {names[0]}")
    typer.echo("")
    typer.echo(_columns(_channel_rows(report, compared)))
    if compared:
        typer.echo("")
        top = changed(report, TOP_RULES)
        if top:
            typer.echo("rules that changed most:")
            rows = [["rule", "before", "after", "change"]]
            rows += [[c.rule, str(c.before), str(c.after), _signed(c.change)] for c in top]
            typer.echo(_columns(rows, names=1))
        else:
            typer.echo("no rule's message count changed")
    for label, outcome in (("before", report.running), ("after", report.new)):
        if outcome is not None and outcome.unknown:
            left = ", ".join(f"{rule} ({n})" for rule, n in outcome.unknown.items())
            typer.echo(f"{label}: signals of rules it does not have were left out: {left}")
    typer.echo("")
    zone = running.server.time_zone or local_zone_name() or "this machine's zone"
    typer.echo(f"at night: written 22:00-08:00 in the server's zone ({zone}); a page, in each paged person's zone")


def _channel_rows(report: BacktestReport, compared: bool) -> list[list[str]]:
    if not compared:
        rows = [["receiver", "channel", "messages", "at night", "pages", "pages at night", "muted"]]
        rows += [[c.receiver, c.channel, *_counts(c)] for c in report.running.channels]
        return [*rows, ["total", "", *_counts(_total(report.running.channels))]]
    rows = [["receiver", "channel", "before", "after", "change", "night before", "night after"]]
    rows[0] += ["pages before", "pages after"]
    for c in report.channels():
        rows.append([c.receiver, c.channel, *_pair(c.before.messages, c.after.messages, change=True)])
        rows[-1] += [*_pair(c.before.night, c.after.night), *_pair(c.before.pages, c.after.pages)]
    before, after = report.running, report.new or report.running
    rows.append(["total", "", *_pair(before.messages, after.messages, change=True)])
    rows[-1] += [*_pair(before.night, after.night), *_pair(before.pages, after.pages)]
    return rows


def _total(channels: Sequence[ChannelCount]) -> ChannelCount:
    sums = [sum(getattr(c, name) for c in channels) for name in ("messages", "night", "pages", "night_pages", "muted")]
    return ChannelCount("total", "", *sums)


def _counts(c: ChannelCount) -> list[str]:
    return [str(n) for n in (c.messages, c.night, c.pages, c.night_pages, c.muted)]


def _pair(before: int, after: int, *, change: bool = False) -> list[str]:
    return [str(before), str(after), _signed(after - before)] if change else [str(before), str(after)]


def _signed(n: int) -> str:
    return f"{n:+d}" if n else "0"


def _columns(rows: Sequence[Sequence[str]], names: int = 2) -> str:
    """Text columns: the first `names` left-aligned, the numbers after them right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [c.ljust(w) if i < names else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def print_json(report: BacktestReport, names: Names) -> None:
    typer.echo(json.dumps(report_json(report, names)))


def report_json(report: BacktestReport, names: Names) -> dict[str, Any]:
    return {
        "since": utc_text(report.since),
        "until": utc_text(report.until),
        "signals": report.signals,
        "configurations": {"running": names[0], "new": names[1]},
        "running": _outcome(report.running),
        "new": _outcome(report.new) if report.new is not None else None,
        "channels": [
            {"receiver": c.receiver, "channel": c.channel, "before": _count(c.before), "after": _count(c.after)}
            for c in report.channels()
        ],
        "rules": [{"rule": c.rule, "before": c.before, "after": c.after, "change": c.change} for c in report.rules()],
    }


def _outcome(outcome: Outcome) -> dict[str, Any]:
    totals = {"messages": outcome.messages, "night": outcome.night, "pages": outcome.pages}
    return {"totals": totals, "unknown_rules": dict(outcome.unknown)}


def _count(c: ChannelCount) -> dict[str, int]:
    return {"messages": c.messages, "night": c.night, "pages": c.pages, "night_pages": c.night_pages, "muted": c.muted}
