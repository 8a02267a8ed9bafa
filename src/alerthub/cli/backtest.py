"""`alerthub backtest --since 7d [--config NEW.yaml] [--json]`: replays the hub's signal log under the
running configuration and under NEW, sending nothing, and prints what each would have sent."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from alerthub.cli.backtest_output import print_json, print_table
from alerthub.cli.common import load_or_exit, open_database
from alerthub.config.durations import parse_duration
from alerthub.config.loader import config_file
from alerthub.config.models import Config
from alerthub.domain.clock import Clock, utc_now
from alerthub.errors import ConfigError
from alerthub.hub import Hub, build_hub, load_config
from alerthub.services.backtest import Backtest, BacktestReport, Progress
from alerthub.store.database import Database


def _span(value: str) -> timedelta:
    """The span `--since` names; a usage error (exit 2) saying what is wrong with it."""
    try:
        span = parse_duration(value)
    except ValueError as exc:
        _usage_error(f"--since {value!r}: {exc}")
    if span <= timedelta(0):
        _usage_error(f"--since {value!r}: must be longer than 0s")
    return span


def _usage_error(message: str) -> NoReturn:
    typer.echo(f"alerthub backtest: {message}", err=True)
    raise typer.Exit(2)


def backtest(
    since: Annotated[str, typer.Option("--since", help="how far back to replay: 7d, 36h, 90m")],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="NEW.yaml: the configuration to compare with the running one")
    ] = None,
    running: Annotated[
        Path | None,
        typer.Option("--running", help="the running configuration (default: $ALERTHUB_CONFIG, ./alerthub.yaml)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Replay the stored signals of a past span through the rules and the pipeline, under the running
    configuration and under --config, with a simulated clock; nothing is sent. Prints the messages each
    would have written per receiver and channel, those at night (22:00-08:00), pages, and the rules whose
    message counts changed most."""
    span = _span(since)
    current = load_or_exit(running)
    new = _load_new(config) if config is not None else None
    until = utc_now()
    report = asyncio.run(_run(current, new, running, until - span, until, show_progress=not as_json))
    names = (str(config_file(running) or "the environment variables"), str(config) if config else None)
    if as_json:
        print_json(report, names)
    else:
        print_table(report, names, current)


def _load_new(path: Path) -> Config:
    """The configuration to compare, checked as `check-config` checks one; a problem names the file."""
    try:
        return load_config(path)
    except ConfigError as exc:
        typer.echo(f"alerthub: --config {path}: configuration is invalid:", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None


async def _run(
    current: Config, new: Config | None, path: Path | None, since: datetime, until: datetime, *, show_progress: bool
) -> BacktestReport:
    source = await open_database(current, path)
    try:
        with tempfile.TemporaryDirectory(prefix="alerthub-backtest-") as workdir:
            backtest = Backtest(source, replay_hub, Path(workdir))
            total = await backtest.to_replay(since, until, 2 if new is not None else 1)
            with _progress(total, enabled=show_progress) as advance:
                return await backtest.run(current, new, since, until, advance)
    finally:
        await source.dispose()


def replay_hub(config: Config, clock: Clock, db: Database) -> Hub:
    """The boxes a replay drives: the hub as `serve` builds it, on the replay's database and clock."""
    return build_hub(config, clock=clock, db=db)


@contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Progress]:
    """Rich's progress bar on a terminal; nothing when the output is piped, captured or JSON."""
    if not enabled or not sys.stdout.isatty():
        yield _ignore
        return
    from rich.progress import Progress as Bar

    with Bar(transient=True) as bar:
        task = bar.add_task("replaying signals", total=total)
        yield lambda n: bar.advance(task, n)


def _ignore(_replayed: int) -> None:
    return None
