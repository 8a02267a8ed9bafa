"""`alerthub schedules ...`: who is on call, and overrides set, listed and removed from a shell, against
the configured database (a running hub sees them at once: they are read from there on every question)."""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from alerthub.cli.common import ConfigOption, with_service
from alerthub.config.durations import parse_duration
from alerthub.domain.clock import utc_now, utc_text
from alerthub.domain.oncall import Override
from alerthub.services.oncall import OnCallService, OverrideDraft, roster_from

schedules_app = typer.Typer(no_args_is_help=True, help="On-call schedules: who is on call, and overrides.")

T = TypeVar("T")


def _with_service(config: Path | None, work: Callable[[OnCallService], Awaitable[T]]) -> T:
    return with_service(config, lambda cfg, db: OnCallService(db, utc_now, roster_from(cfg)), work)


def _instant(text: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        typer.echo(f"alerthub: {option} {text!r} is not an ISO 8601 time such as 2026-12-24T09:00+01:00", err=True)
        raise typer.Exit(2) from None
    if value.tzinfo is None:
        typer.echo(f"alerthub: {option} {text!r} needs its offset (Z or +01:00): whose 09:00 is it?", err=True)
        raise typer.Exit(2)
    return value


@schedules_app.command("list")
def list_(
    at: Annotated[str | None, typer.Option("--at", help="another instant (ISO 8601 with offset)")] = None,
    config: ConfigOption = None,
) -> None:
    """Each schedule: who is on call, until when, who is next; and its overrides that have not ended."""
    moment = _instant(at, "--at") if at else None

    async def work(service: OnCallService) -> list[str]:
        lines: list[str] = []
        for answer in await service.now(moment):
            until = utc_text(answer.until, "minutes") if answer.until else "no change ahead"
            who = ", ".join(answer.on_call) or "nobody"
            lines.append(f"{answer.schedule}: {who} until {until}, then {', '.join(answer.next) or 'nobody'}")
            lines += [f"  {_line(o)}" for o in await service.overrides(answer.schedule)]
        return lines

    for line in _with_service(config, work):
        typer.echo(line)


@schedules_app.command("override")
def override(
    schedule: str,
    person: str,
    end: Annotated[str | None, typer.Option("--end", help="ISO 8601 with offset")] = None,
    start: Annotated[str | None, typer.Option("--start", help="ISO 8601 with offset (default: now)")] = None,
    duration: Annotated[str | None, typer.Option("--for", help="instead of --end: how long, e.g. 8h")] = None,
    by: Annotated[str | None, typer.Option("--by", help="who (default: the login name)")] = None,
    config: ConfigOption = None,
) -> None:
    """Put PERSON on call in SCHEDULE's place from --start until --end; prints the override's id."""
    begins = _instant(start, "--start") if start else datetime.now(UTC)
    if (end is None) == (duration is None):
        typer.echo("alerthub: give --end or --for (one of them)", err=True)
        raise typer.Exit(2)
    try:
        ends = _instant(end, "--end") if end else begins + parse_duration(duration)
    except (ValueError, OverflowError) as exc:
        typer.echo(f"alerthub: --for {duration}: {exc}", err=True)
        raise typer.Exit(2) from None
    draft = OverrideDraft(schedule, person, begins, ends, by or getpass.getuser())
    saved = _with_service(config, lambda service: service.add_override(draft))
    typer.echo(saved.id)


@schedules_app.command("remove")
def remove(schedule: str, override_id: int, config: ConfigOption = None) -> None:
    """Remove one of SCHEDULE's overrides by its id."""
    removed = _with_service(config, lambda service: service.remove_override(schedule, override_id))
    typer.echo(f"removed {removed.id}: {_line(removed)}")


def _line(o: Override) -> str:
    span = f"{utc_text(o.starts_at, 'minutes')} to {utc_text(o.ends_at, 'minutes')}"
    return f"#{o.id}  {o.person}  {span}  (set by {o.created_by})"
