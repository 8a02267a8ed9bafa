"""`alerthub routes test`: where an alert would go, in which group, and the message it would make."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from alerthub.cli.common import ConfigOption, load_or_exit
from alerthub.domain.clock import utc_now
from alerthub.errors import ConfigError, InputError
from alerthub.services.routes import RouteTest, SampleAlert, explain_route, known_severity, sample_from_json

routes_app = typer.Typer(no_args_is_help=True, help="The routing tree.")


@routes_app.command("test")
def test(
    labels: Annotated[str | None, typer.Option("--labels", "-l", help="k=v,k=v (alertname names the rule)")] = None,
    alert: Annotated[Path | None, typer.Option("--alert", "-a", help="a JSON alert file")] = None,
    config: ConfigOption = None,
    render: Annotated[bool, typer.Option(help="render each channel's message")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the matched route(s), receivers, channels, group key and message; nothing is sent."""

    cfg = load_or_exit(config)
    try:
        sample = _sample(labels, alert)
        result = explain_route(cfg, sample, utc_now(), render=render)
    except InputError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from None
    except ConfigError as exc:
        typer.echo("configuration is invalid:", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    typer.echo(_json(result) if as_json else _text(result))


def _sample(labels: str | None, alert: Path | None) -> SampleAlert:
    if alert is None and labels is None:
        raise InputError("give --labels k=v,... or --alert FILE")
    sample = SampleAlert("route_test", {}, {})
    if alert is not None:
        try:
            data = json.loads(alert.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {alert}: {exc}") from None
        sample = sample_from_json(data, str(alert))
    extra = _pairs(labels or "")
    name = extra.pop("alertname", sample.rule_name)
    severity = sample.severity
    if "severity" in extra:
        severity = known_severity(extra["severity"], "--labels severity")
        extra["severity"] = severity.value
    return SampleAlert(name, {**sample.labels, **extra}, sample.annotations, severity, sample.value)


def _pairs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--labels item {item!r} must be name=value")
        out[name.strip()] = value.strip().strip('"')
    return out


def _text(result: RouteTest) -> str:
    lines = ["labels: " + ", ".join(f'{k}="{v}"' for k, v in sorted(result.labels.items()))]
    for i, m in enumerate(result.matches, 1):
        group_by = "every label" if m.group_by is None else ", ".join(m.group_by) or "(none: one group)"
        lines += [
            f"route {i}: {m.path}",
            f"  receiver: {m.receiver} -> channels: {', '.join(m.channels) or '(none: nothing is sent)'}",
            f"  group key: {m.group_key}",
            f"  group by: {group_by}; group_wait {_d(m.group_wait)}, group_interval {_d(m.group_interval)}, "
            f"repeat_interval {_d(m.repeat_interval)}",
        ]
        if m.muted_now:
            lines.append(f"  {m.muted_now}")
        for msg in m.messages:
            lines.append(f"  message for {msg.channel}: {msg.title}")
            lines += [f"    {line}" for line in msg.body.splitlines()]
    if not result.rendered:
        lines.append("(messages not rendered)")
    return "\n".join(lines)


def _json(result: RouteTest) -> str:
    return json.dumps(
        {
            "labels": result.labels,
            "routes": [
                {
                    "path": m.path,
                    "receiver": m.receiver,
                    "channels": list(m.channels),
                    "group_key": m.group_key,
                    "group_labels": m.group_labels,
                    "muted_now": m.muted_now,
                    "messages": [{"channel": x.channel, "title": x.title, "body": x.body} for x in m.messages],
                }
                for m in result.matches
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def _d(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
