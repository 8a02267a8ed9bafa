"""`alerthub users ...`: logins for the web dashboard; and the check that keeps `serve` from exposing
an unprotected hub."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import Annotated

import typer

from alerthub.cli.common import ConfigOption
from alerthub.cli.tokens import run_with_auth, with_auth
from alerthub.config.models import Config
from alerthub.services.auth_policy import exposure_problem, is_loopback
from alerthub.services.bootstrap import PASSWORD_VARIABLE, TOKEN_VARIABLE, bootstrap_admin, bootstrap_problems

logger = logging.getLogger("alerthub.serve")
# While waiting for credentials: how often the database is asked, and how often the wait is logged.
CREDENTIALS_POLL = 2.0
WAITING_LOG_EVERY = 60.0

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
    _, notice = with_auth(
        config, lambda auth: auth.changed_for_senders(auth.add_user(name, password, admin=not read_only))
    )
    typer.echo(f"user {name!r} added; log in at the dashboard's /login")
    typer.echo(notice, err=True)


@users_app.command("list")
def list_(config: ConfigOption = None) -> None:
    for user in with_auth(config, lambda auth: auth.list_users()):
        typer.echo(f"{user.name}\t{'admin' if user.is_admin else 'read'}\t{user.created_at:%Y-%m-%d %H:%M}")


@users_app.command("remove")
def remove(name: str, config: ConfigOption = None) -> None:
    """Remove user NAME; their open sessions end at once, on every instance."""
    with_auth(config, lambda auth: auth.remove_user(name))
    typer.echo(f"user {name!r} removed")


def seed_admin(cfg: Config, env: Mapping[str, str] = os.environ) -> None:
    """Called by `serve`: the first admin from ALERTHUB_ADMIN_TOKEN / ALERTHUB_ADMIN_PASSWORD, if set
    and the database has no credentials yet (services/bootstrap.py)."""
    problems = bootstrap_problems(env)
    if problems:
        for problem in problems:
            typer.echo(f"alerthub: {problem}", err=True)
        raise typer.Exit(2)
    if env.get(TOKEN_VARIABLE) or env.get(PASSWORD_VARIABLE):
        run_with_auth(cfg, lambda auth: bootstrap_admin(auth, env), create=True, quiet=True)


def refuse_unprotected(cfg: Config, host: str, *, serves_api: bool = True, wait: bool = False) -> None:
    """Called by `serve`: listening beyond loopback with no token or user would expose the hub.
    A worker-role process answers only health and metrics, so it may listen anywhere. With `wait`
    (a container, whose restarts would loop) it waits for credentials instead of exiting."""
    if is_loopback(host) or not serves_api:
        return
    logged_at = -WAITING_LOG_EVERY

    def has_credentials() -> bool:
        return run_with_auth(cfg, lambda auth: auth.has_credentials(), create=True, quiet=True)

    while problem := exposure_problem(host, has_credentials()):
        if not wait:
            typer.echo(f"alerthub: {problem}", err=True)
            raise typer.Exit(2)
        if time.monotonic() - logged_at >= WAITING_LOG_EVERY:
            logged_at = time.monotonic()
            logger.warning("%s\nWaiting for one (checked every %g s).", problem, CREDENTIALS_POLL)
        time.sleep(CREDENTIALS_POLL)
