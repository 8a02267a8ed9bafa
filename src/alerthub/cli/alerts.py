"""`alerthub alerts list|ack|resolve`: the alerts from a shell, against the configured database. An
acknowledgement or resolution here is the one the dashboard makes: it is recorded as `user:<--by>`, its
notices are queued for the channels that were told, and the alert's escalations stop (a running hub's
loops find them within seconds)."""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from alerthub.cli.common import ConfigOption, with_service
from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.clock import utc_text
from alerthub.domain.labels import where_label
from alerthub.domain.severity import Severity
from alerthub.services.alerts import AlertService
from alerthub.store.alert_queries import AlertFilter

alerts_app = typer.Typer(no_args_is_help=True, help="Alerts: list them, acknowledge or resolve one.")

T = TypeVar("T")
OPEN = (AlertState.PENDING, AlertState.FIRING, AlertState.ACKNOWLEDGED)
By = Annotated[str | None, typer.Option("--by", help="who (default: the login name)")]
Comment = Annotated[str, typer.Option("--comment", "-m", help="why, kept in the alert's history")]


def _with_alerts(config: Path | None, work: Callable[[AlertService], Awaitable[T]]) -> T:
    from alerthub.hub import build_hub

    # The hub's own service, hooks and all: an acknowledgement here queues its notices as the API's does.
    return with_service(config, lambda cfg, db: build_hub(cfg, db=db).alerts, work)


@alerts_app.command("list")
def list_(
    state: Annotated[list[AlertState] | None, typer.Option("--state", help="default: the open ones")] = None,
    severity: Annotated[list[Severity] | None, typer.Option("--severity")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    config: ConfigOption = None,
) -> None:
    """The newest alerts first: id, state, severity, rule and where, last seen, who acknowledged."""
    wanted = AlertFilter(
        states=tuple(s.value for s in state or OPEN), severities=tuple(s.value for s in severity or ())
    )

    async def work(service: AlertService) -> list[Alert]:
        return (await service.list(wanted, limit=limit, cursor=None))[0]

    for alert in _with_alerts(config, work):
        typer.echo(_line(alert))


@alerts_app.command("ack")
def ack(alert_id: int, by: By = None, comment: Comment = "", config: ConfigOption = None) -> None:
    """Acknowledge a firing alert."""
    who = by or getpass.getuser()
    done = _with_alerts(config, lambda service: service.acknowledge(alert_id, who, comment))
    typer.echo(_line(done))


@alerts_app.command("resolve")
def resolve(alert_id: int, by: By = None, comment: Comment = "", config: ConfigOption = None) -> None:
    """Resolve an open alert by hand."""
    who = by or getpass.getuser()
    done = _with_alerts(config, lambda service: service.resolve(alert_id, who, comment))
    typer.echo(_line(done))


def _line(a: Alert) -> str:
    where = where_label(a.labels)
    what = f"{a.rule_name} — {where}" if where else a.rule_name
    handled = (
        f"  (acknowledged by {a.acknowledged_by})" if a.acknowledged_by and a.state is AlertState.ACKNOWLEDGED else ""
    )
    seen = utc_text(a.last_seen, "minutes")
    return f"#{a.id}  {a.state.value:<12}  {a.severity.value:<8}  {what}  last seen {seen}{handled}"
