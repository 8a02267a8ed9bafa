"""The route tester: where would an alert with these labels go, in which group, saying what? Nothing is
stored or sent; the configuration alone answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerthub.config.models import Config
from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.clock import utc_now
from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal
from alerthub.errors import InputError, Problem
from alerthub.pipeline.enqueue import PayloadBuilder, base_url
from alerthub.pipeline.matchers import alert_labels
from alerthub.pipeline.routing import Route, build_routes
from alerthub.pipeline.timeintervals import build_time_intervals
from alerthub.rules.build import build_ruleset
from alerthub.sources import alertmanager, seed
from alerthub.sources.registry import source_rules


@dataclass(frozen=True, slots=True)
class SampleAlert:
    rule_name: str
    labels: dict[str, str]
    annotations: dict[str, str]
    severity: Severity | None = None
    value: float | None = None


@dataclass(frozen=True, slots=True)
class Message:
    channel: str
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class RouteMatch:
    path: str
    receiver: str
    channels: tuple[str, ...]
    group_key: str
    group_labels: dict[str, str]
    group_by: tuple[str, ...] | None
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    muted_now: str | None
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class RouteTest:
    labels: dict[str, str]
    severity: Severity
    matches: tuple[RouteMatch, ...]
    rendered: bool


def explain_route(config: Config, sample: SampleAlert, now: datetime, *, render: bool = True) -> RouteTest:
    rules = build_ruleset(config.rules, source_rules())
    rule = rules.get(sample.rule_name)
    severity = _severity(sample, rule)
    labels = alert_labels({**(rule.labels if rule else {}), **sample.labels}, sample.rule_name, severity.value)
    own = {k: v for k, v in labels.items() if k not in ("alertname", "severity")}
    alert = Alert(
        id=0,
        fingerprint="route-test",
        rule_name=sample.rule_name,
        source="route-test",
        state=AlertState.FIRING,
        severity=severity,
        value=sample.value,
        peak_value=sample.value,
        labels=own,
        annotations=sample.annotations,
        episode=1,
        count=1,
        first_seen=now,
        last_seen=now,
        state_changed_at=now,
    )
    context = _Context(
        config, alert, labels, now, _renderer() if render else None, PayloadBuilder(rules, base_url(config))
    )
    matches = tuple(context.explain(route) for route in build_routes(config).match(labels))
    return RouteTest(labels, severity, matches, context.renderer is not None)


@dataclass(frozen=True, slots=True)
class _Context:
    config: Config
    alert: Alert
    labels: dict[str, str]
    now: datetime
    renderer: Any
    builder: PayloadBuilder

    def explain(self, route: Route) -> RouteMatch:
        group_labels = route.group_labels(self.labels)
        key = route.group_key(group_labels)
        payload = self.builder.payload(route.receiver, key, group_labels, [self.alert], "first notification")
        channels = [c for c in self.config.channels if c.name in route.channels]
        messages = tuple(Message(c.name, *self.renderer(payload, c)) for c in channels if self.renderer)
        return RouteMatch(
            path=route.path,
            receiver=route.receiver,
            channels=route.channels,
            group_key=key,
            group_labels=group_labels,
            group_by=route.group_by,
            group_wait=route.group_wait,
            group_interval=route.group_interval,
            repeat_interval=route.repeat_interval,
            muted_now=_muted(route, build_time_intervals(self.config.time_intervals), self.now),
            messages=messages,
        )


def _severity(sample: SampleAlert, rule: Rule | None) -> Severity:
    """As ingest would judge it: given, else from the value against the rule, else the rule's own."""
    if sample.severity is not None:
        return sample.severity
    if rule is not None and sample.value is not None and rule.thresholds:
        return rule.severity_for(sample.value) or rule.severity
    return Severity.parse(sample.labels.get("severity")) or (rule.severity if rule else Severity.WARNING)


def _muted(route: Route, intervals: Mapping[str, Any], now: datetime) -> str | None:
    for name in route.mute_time_intervals:
        if name in intervals and intervals[name].contains(now):
            return f"muted now by time interval {name!r}"
    active = [n for n in route.active_time_intervals if n in intervals]
    if active and not any(intervals[n].contains(now) for n in active):
        return f"muted now: outside {', '.join(map(repr, active))}"
    return None


def _renderer() -> Any:
    """Delivery's renderer, when it is installed; the tester works without it."""
    try:
        from alerthub.delivery.compose import render
    except ImportError:
        return None

    def run(payload: Any, channel: Any) -> tuple[str, str]:
        message = render(payload, channel)
        return message.title, message.body

    return run


def sample_from_json(data: Any, where: str = "alert", now: datetime | None = None) -> SampleAlert:
    """An alert file, read by the code that reads the same body at ingest, so the labels, group and
    title shown are the ones a real send gets: the seed's body (`rule_name` + `metric_data`), an
    Alertmanager alert (or a list of them: the first), or `{"labels", "annotations", "rule_name",
    "severity", "value"}`."""
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        raise InputError(f"{where} must be a JSON object", [Problem(where, "must be a JSON object")])
    if isinstance(data.get("metric_data"), dict):
        return _from_signal(seed.parse_send(data))
    if "rule_name" not in data and isinstance(data.get("labels"), dict) and "alertname" in data["labels"]:
        [signal] = alertmanager.parse_postable([data], now or utc_now(), max_alerts=1)
        return _from_signal(signal)
    labels = _strings(data.get("labels", {}), f"{where}.labels")
    name = data.get("rule_name") or data.get("alertname") or labels.pop("alertname", None)
    if not isinstance(name, str) or not name:
        raise InputError("the alert needs a rule_name (or alertname)", [Problem(f"{where}.rule_name", "missing")])
    value = data.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise InputError("value must be a number", [Problem(f"{where}.value", "must be a number")])
    severity = data.get("severity")
    return SampleAlert(
        rule_name=name,
        labels=labels,
        annotations=_strings(data.get("annotations", {}), f"{where}.annotations"),
        severity=known_severity(severity, f"{where}.severity") if severity is not None else None,
        value=float(value) if value is not None else None,
    )


def known_severity(text: object, where: str) -> Severity:
    """A severity someone typed: one of ours or a known alias; anything else is an error, never a
    silent `warning`."""
    found = Severity.parse(text) if isinstance(text, str) else None
    if found is None:
        names = ", ".join(s.value for s in Severity)
        raise InputError(f"unknown severity {text!r}", [Problem(where, f"must be one of {names} (or an alias)")])
    return found


def _from_signal(signal: Signal) -> SampleAlert:
    labels = {k: v for k, v in signal.labels.items() if k != "alertname"}
    return SampleAlert(signal.rule_name, labels, dict(signal.annotations), signal.severity, signal.value)


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
        raise InputError(f"{where} must map names to strings", [Problem(where, "must map names to strings")])
    return {str(k): str(v) for k, v in value.items()}
