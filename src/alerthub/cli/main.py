from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated

import httpx
import typer

from alerthub.cli.channels import channels_app
from alerthub.cli.routes import routes_app
from alerthub.cli.silences import silences_app
from alerthub.cli.tokens import tokens_app
from alerthub.cli.users import refuse_unprotected, users_app
from alerthub.config import load_config
from alerthub.config.models import Config
from alerthub.errors import ConfigError
from alerthub.roles import Role

app = typer.Typer(no_args_is_help=True, add_completion=False, help="alerthub: a self-hosted, unified alerting hub.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(channels_app, name="channels")
app.add_typer(routes_app, name="routes")
app.add_typer(silences_app, name="silences")
app.add_typer(tokens_app, name="tokens")
app.add_typer(users_app, name="users")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML file (default: $ALERTHUB_CONFIG, ./alerthub.yaml)")
]


def load_or_exit(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        typer.echo("configuration is invalid:", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="listen address (default: server.host)")] = None,
    port: Annotated[int | None, typer.Option(help="listen port (default: server.port)")] = None,
    role: Annotated[
        Role, typer.Option(help="all: API and background loops; api: HTTP only; worker: loops and health")
    ] = Role.ALL,
) -> None:
    """Run the hub: HTTP API, web page and background workers."""
    from alerthub.serving import serve as run_server
    from alerthub.store.instance_lock import InstanceLockedError

    cfg = load_or_exit(config)
    refuse_unprotected(cfg, host or cfg.server.host, serves_api=role.serves_api)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        run_server(cfg, host=host or cfg.server.host, port=port if port is not None else cfg.server.port, role=role)
    except InstanceLockedError as exc:
        typer.echo(f"alerthub: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Validate the configuration; print every problem with its location."""
    cfg = load_or_exit(config)
    typer.echo(
        f"configuration is valid: {len(cfg.channels)} channel(s), {len(cfg.rules)} configured rule(s), "
        f"storage {cfg.storage.url.split('@')[-1]}"
    )


@app.command()
def send(
    rule_name: str,
    value: float,
    label: Annotated[list[str] | None, typer.Option("--label", "-l", help="k=v, repeatable")] = None,
    info: Annotated[str | None, typer.Option(help="additional_info text")] = None,
    url: Annotated[str, typer.Option(help="the hub's base URL")] = "http://127.0.0.1:8000",
    token: Annotated[str | None, typer.Option(envvar="ALERTHUB_TOKEN", help="API token")] = None,
) -> None:
    """Post one signal to a running hub, in the seed's format."""
    labels = {}
    for item in label or []:
        name, sep, val = item.partition("=")
        if not sep or not name:
            typer.echo(f"--label {item!r} must be name=value", err=True)
            raise typer.Exit(2)
        labels[name] = val
    body: dict[str, object] = {
        "rule_name": rule_name,
        "metric_data": {"metric_value": value},
        "labels": labels,
    }
    if info:
        body["metric_data"] = {"metric_value": value, "additional_info": info}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(f"{url.rstrip('/')}/api/alerts/send", json=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(response.text)
    if response.is_error:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply every pending migration."""
    from alerthub.store.database import Database
    from alerthub.store.migrate import current_revision, upgrade

    cfg = load_or_exit(config)

    async def run() -> str | None:
        db = Database(cfg.storage.url)
        try:
            await upgrade(db)
            return await current_revision(db)
        finally:
            await db.dispose()

    typer.echo(f"database at revision {asyncio.run(run())}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
