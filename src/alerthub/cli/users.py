"""`alerthub users ...`: logins for the web dashboard; and the check that keeps `serve` from exposing
an unprotected hub."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from alerthub.cli.tokens import ConfigOption, run_with_auth, with_auth
from alerthub.config.models import Config
from alerthub.services.auth_policy import exposure_problem, is_loopback

users_app = typer.Typer(no_args_is_help=True, help="Dashboard users.")


@users_app.command("add")
def add(
    name: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
    read_only: Annotated[bool, typer.Option("--read-only", help="may look, not act (read scope)")] = False,
    config: ConfigOption = None,
) -> None:
    """Add user NAME; asks for the password twice (or reads one line from stdin with --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with_auth(config, lambda auth: auth.add_user(name, password, admin=not read_only))
    typer.echo(f"user {name!r} added; log in at the dashboard's /login")


@users_app.command("list")
def list_(config: ConfigOption = None) -> None:
    for user in with_auth(config, lambda auth: auth.list_users()):
        typer.echo(f"{user.name}\t{'admin' if user.is_admin else 'read'}\t{user.created_at:%Y-%m-%d %H:%M}")


@users_app.command("remove")
def remove(name: str, config: ConfigOption = None) -> None:
    """Remove user NAME; their open sessions stop working within a few seconds."""
    with_auth(config, lambda auth: auth.remove_user(name))
    typer.echo(f"user {name!r} removed")


def refuse_unprotected(cfg: Config, host: str, *, serves_api: bool = True) -> None:
    """Called by `serve`: listening beyond loopback with no token or user would expose the hub.
    A worker-role process answers only health and metrics, so it may listen anywhere."""
    if is_loopback(host) or not serves_api:
        return
    has_credentials = run_with_auth(cfg, lambda auth: auth.has_credentials())
    problem = exposure_problem(host, has_credentials)
    if problem:
        typer.echo(f"alerthub: {problem}", err=True)
        raise typer.Exit(2)
