"""`alerthub tokens ...`: API tokens for senders and scripts (`Authorization: Bearer <token>`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from alerthub.cli.common import ConfigOption, load_or_exit, open_database
from alerthub.config.models import Config
from alerthub.errors import InputError
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope

tokens_app = typer.Typer(no_args_is_help=True, help="API tokens (scopes: ingest, read, admin).")

T = TypeVar("T")


def with_auth(config: Path | None, work: Callable[[AuthService], Awaitable[T]]) -> T:
    """Run `work` against the configured database (migrated first, as `serve` would; never created); a
    bad input exits 1."""
    return run_with_auth(load_or_exit(config), work, path=config)


def run_with_auth(
    cfg: Config,
    work: Callable[[AuthService], Awaitable[T]],
    *,
    path: Path | None = None,
    create: bool = False,
    quiet: bool = False,
) -> T:
    """`create` and `quiet`: for `serve`, which makes the database it is pointed at and says which once."""
    try:
        return asyncio.run(_run(cfg, work, path, create=create, quiet=quiet))
    except InputError as exc:
        typer.echo(f"alerthub: {exc.message}", err=True)
        raise typer.Exit(1) from None


async def _run(
    cfg: Config, work: Callable[[AuthService], Awaitable[T]], path: Path | None, *, create: bool, quiet: bool
) -> T:
    from alerthub.domain.clock import utc_now

    db = await open_database(cfg, path, create=create, quiet=quiet)
    try:
        return await work(AuthService(db, cfg, utc_now))
    finally:
        await db.dispose()


@tokens_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", "-n", help="who or what uses it, e.g. prometheus")],
    scope: Annotated[Scope, typer.Option("--scope", "-s", help="ingest: send alerts; read: GET; admin: all")],
    config: ConfigOption = None,
) -> None:
    """Create a token and print it. It is shown only this once: only its hash is stored."""
    token, notice = with_auth(config, lambda auth: auth.changed_for_senders(auth.create_token(name, scope)))
    typer.echo(token)
    typer.echo(f"token {name!r} ({scope.value}) created; send it as 'Authorization: Bearer <token>'.", err=True)
    typer.echo(notice, err=True)


@tokens_app.command("list")
def list_(config: ConfigOption = None) -> None:
    """Every token: name, scope, created, last used, revoked. Never the token itself."""
    records = with_auth(config, lambda auth: auth.list_tokens())
    if not records:
        typer.echo("no tokens", err=True)
        return
    typer.echo("NAME\tSCOPE\tCREATED\tLAST USED\tSTATUS")
    for r in records:
        status = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
        used = f"{r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "never"
        typer.echo(f"{r.name}\t{r.scope}\t{r.created_at:%Y-%m-%d %H:%M}\t{used}\t{status}")


@tokens_app.command("revoke")
def revoke(name: str, config: ConfigOption = None) -> None:
    """Revoke token NAME. A running hub stops accepting it within a few seconds."""
    with_auth(config, lambda auth: auth.revoke_token(name))
    typer.echo(f"token {name!r} revoked")
