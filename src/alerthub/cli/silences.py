"""`alerthub silences ...`: add, list and expire silences from a shell, against the configured database."""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from alerthub.cli.common import ConfigOption, with_service
from alerthub.config.durations import DurationTooLong, parse_duration
from alerthub.domain.clock import utc_now
from alerthub.domain.silence import LabelMatcher, Silence, SilenceState
from alerthub.services.silences import SilenceDraft, SilenceService

silences_app = typer.Typer(no_args_is_help=True, help="Silences: mute matching alerts for a while.")

T = TypeVar("T")


def _with_service(config: Path | None, work: Callable[[SilenceService], Awaitable[T]]) -> T:
    return with_service(config, lambda _cfg, db: SilenceService(db, utc_now), work)


@silences_app.command("add")
def add(
    matcher: Annotated[list[str], typer.Argument(help='matchers such as service=api severity=~"high|critical"')],
    duration: Annotated[str, typer.Option("--duration", "-d", help="how long, e.g. 2h or 30m")] = "1h",
    comment: Annotated[str, typer.Option("--comment", "-m", help="why (required)")] = "",
    by: Annotated[str | None, typer.Option("--by", help="who (default: the login name)")] = None,
    config: ConfigOption = None,
) -> None:
    """Silence matching alerts from now for --duration; prints the new silence's id."""
    from alerthub.domain.clock import utc_now
    from alerthub.pipeline.matchers import MatcherError, MatchType, parse_matchers

    now = utc_now()
    try:
        parsed = [m for text in matcher for m in parse_matchers(text)]
        ends = now + parse_duration(duration)
    except DurationTooLong as exc:
        typer.echo(f"alerthub: --duration {duration} is too long: {exc}", err=True)
        raise typer.Exit(2) from None
    except (MatcherError, ValueError) as exc:
        typer.echo(f"alerthub: {exc}", err=True)
        raise typer.Exit(2) from None
    except OverflowError:
        typer.echo(f"alerthub: --duration {duration} is too long: the silence would end after the year 9999", err=True)
        raise typer.Exit(2) from None
    matchers = tuple(
        LabelMatcher(
            m.name,
            m.value,
            is_regex=m.type in (MatchType.REGEX, MatchType.NOT_REGEX),
            is_equal=m.type in (MatchType.EQUAL, MatchType.REGEX),
        )
        for m in parsed
    )
    draft = SilenceDraft(matchers, now, ends, by or getpass.getuser(), comment)
    saved = _with_service(config, lambda service: service.save(draft))
    typer.echo(saved.id)


@silences_app.command("list")
def list_(
    state: Annotated[list[SilenceState] | None, typer.Option("--state", help="pending, active or expired")] = None,
    config: ConfigOption = None,
) -> None:
    """List silences: active first, then pending, then expired."""
    from alerthub.domain.clock import utc_now

    found = _with_service(config, lambda service: service.list(state or ()))
    now = utc_now()
    for s in found:
        typer.echo(_line(s, now))


@silences_app.command("expire")
def expire(silence_id: str, config: ConfigOption = None) -> None:
    """End a silence now."""
    expired = _with_service(config, lambda service: service.expire(silence_id))
    typer.echo(f"expired {expired.id}")


def _line(s: Silence, now: datetime) -> str:
    from alerthub.domain.clock import utc_text
    from alerthub.pipeline.silence import compile_silence

    ends = utc_text(s.ends_at, "minutes")
    return f"{s.id}  {s.state(now).value:<8} until {ends}  {compile_silence(s)}  {s.created_by}: {s.comment}"
