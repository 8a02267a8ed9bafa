from __future__ import annotations

import logging
import sys
from typing import Annotated

import httpx
import typer

from alerthub.cli.alerts import alerts_app
from alerthub.cli.backtest import backtest
from alerthub.cli.channels import channels_app
from alerthub.cli.common import ConfigOption, load_or_exit, sources_line
from alerthub.cli.db import db_app
from alerthub.cli.importer import importer_app
from alerthub.cli.routes import routes_app
from alerthub.cli.schedules import schedules_app
from alerthub.cli.silences import silences_app
from alerthub.cli.tokens import tokens_app
from alerthub.cli.users import refuse_unprotected, seed_admin, users_app
from alerthub.config.models import Config
from alerthub.logs import LogFormat, LogLevel, configure_logging
from alerthub.roles import Role

app = typer.Typer(no_args_is_help=True, add_completion=False, help="alerthub: a self-hosted, unified alerting hub.")


def _print_version(value: bool) -> None:
    if value:
        from alerthub import __version__

        typer.echo(f"alerthub {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """alerthub: a self-hosted, unified alerting hub."""


app.add_typer(alerts_app, name="alerts")
app.add_typer(channels_app, name="channels")
app.add_typer(routes_app, name="routes")
app.add_typer(silences_app, name="silences")
app.add_typer(schedules_app, name="schedules")
app.add_typer(tokens_app, name="tokens")
app.add_typer(users_app, name="users")
app.add_typer(importer_app, name="import")
app.add_typer(db_app, name="db")
app.command("backtest")(backtest)


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="listen address (default: server.host)")] = None,
    port: Annotated[int | None, typer.Option(help="listen port (default: server.port)")] = None,
    role: Annotated[
        Role, typer.Option(help="all: API and background loops; api: HTTP only; worker: loops and health")
    ] = Role.ALL,
    log_format: Annotated[
        LogFormat | None, typer.Option("--log-format", help="text or json (default: server.log_format)")
    ] = None,
    log_level: Annotated[
        LogLevel | None, typer.Option("--log-level", help="debug, info, warning, error (default: server.log_level)")
    ] = None,
    wait_for_credentials: Annotated[
        bool, typer.Option("--wait-for-credentials", help="with no token or user yet, wait for one instead of exiting")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="worker processes on the port (default: server.workers)")
    ] = None,
) -> None:
    """Run the hub: HTTP API, web page and background workers."""
    from alerthub.hub_reload import ConfigSource
    from alerthub.serving import serve as run_server
    from alerthub.store.instance_lock import InstanceLockedError

    cfg = load_or_exit(config)
    source = ConfigSource(config, cfg)
    cfg = _server_overrides(cfg, log_format=log_format, log_level=log_level, workers=workers)
    configure_logging(cfg.server.log_format, cfg.server.log_level)
    # Through the log, not bare stderr: a JSON log stays JSON line by line.
    logging.getLogger("alerthub").info(sources_line(config, cfg).removeprefix("alerthub: "))
    seed_admin(cfg)
    refuse_unprotected(cfg, host or cfg.server.host, serves_api=role.serves_api, wait=wait_for_credentials)
    try:
        port = port if port is not None else cfg.server.port
        status = run_server(cfg, host=host or cfg.server.host, port=port, role=role, source=source)
    except InstanceLockedError as exc:
        typer.echo(f"alerthub: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(status)


def _server_overrides(cfg: Config, **given: object) -> Config:
    """`serve`'s options over the file's `server.*`, checked as the file's own values are."""
    from alerthub.config.checks import check_workers

    server = cfg.server.model_copy(update={k: v for k, v in given.items() if v is not None})
    cfg = cfg.model_copy(update={"server": server})
    for problem in check_workers(cfg):
        typer.echo(f"alerthub: {problem}", err=True)
        raise typer.Exit(2)
    return cfg


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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
