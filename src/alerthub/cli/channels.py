"""`alerthub channels ...`: see and test the configured channels from a shell."""

from __future__ import annotations

import asyncio

import typer

from alerthub.cli.common import ConfigOption, load_or_exit
from alerthub.services.channels import ChannelService

channels_app = typer.Typer(no_args_is_help=True, help="Notification channels.")


@channels_app.command("test")
def test(name: str, config: ConfigOption = None) -> None:
    """Send a test message through channel NAME now and print what the service answered."""
    from alerthub.domain.clock import utc_now
    from alerthub.errors import NotFoundError

    cfg = load_or_exit(config)
    try:
        outcome = asyncio.run(ChannelService(cfg, None, utc_now).test(name))
    except NotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if outcome.ok:
        typer.echo(f"{name}: delivered" + (f" (id {outcome.external_id})" if outcome.external_id else ""))
        return
    kind = "retryable" if outcome.retryable else "permanent"
    typer.echo(f"{name}: failed ({kind}): {outcome.error}", err=True)
    raise typer.Exit(1)


@channels_app.command("list")
def list_(config: ConfigOption = None) -> None:
    """Show the configured channels, secrets redacted."""
    from alerthub.domain.clock import utc_now

    cfg = load_or_exit(config)
    for info in asyncio.run(ChannelService(cfg, None, utc_now).list()):
        shown = ", ".join(f"{k}={v}" for k, v in info.description.items())
        typer.echo(f"{info.name}\t{info.type}\t{shown}")
