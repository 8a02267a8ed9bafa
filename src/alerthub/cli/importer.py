"""`alerthub import alertmanager FILE [-o OUT]`: an Alertmanager configuration as an alerthub one. The
configuration goes to standard output (or OUT); what could not be carried goes to standard error, one
line each, naming the receiver and integration. Exit 1 when the file cannot be read or the result does
not pass `alerthub check-config`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from alerthub.config.models import Config
from alerthub.hub import check_config
from alerthub.services.am_import import AlertmanagerConfigError, Imported, convert, parse

importer_app = typer.Typer(no_args_is_help=True, help="Bring another tool's configuration over to alerthub.")


@importer_app.command("alertmanager")
def import_alertmanager(
    file: Annotated[Path, typer.Argument(help="an Alertmanager configuration (alertmanager.yml)")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
) -> None:
    """Convert an Alertmanager configuration: route, inhibit rules, time intervals and receivers."""
    try:
        imported = convert(parse(file.read_text(encoding="utf-8")))
    except OSError as exc:
        typer.echo(f"cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    except AlertmanagerConfigError as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(1) from None
    text = f"# Imported from {file.name} by `alerthub import alertmanager`.\n" + imported.yaml()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    for note in imported.notes:
        typer.echo(str(note), err=True)
    problems = _problems(imported)
    if problems:
        typer.echo("the imported configuration does not pass check-config; fix these by hand:", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)


def _problems(imported: Imported) -> list[str]:
    try:
        config = Config.model_validate(imported.config)
    except ValidationError as exc:
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)]
    return [str(p) for p in check_config(config)]
