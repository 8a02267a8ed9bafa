"""HetrixTools' Contact List webhooks: the flat uptime-monitor object and the blacklist array.

HetrixTools does not sign bodies and its `Content-Type` is undocumented, so the raw body is parsed as
JSON whatever the header says, and authentication is a shared token (`integrations.hetrixtools.webhook_token`).

* uptime `offline` -> `hetrixtools_downtime` firing for that monitor (identity: `monitor_id`);
* uptime `online`  -> that alert resolved, carrying the downtime duration, then a
  `hetrixtools_recovery` signal so whatever a configured recovery rule `resolves` is resolved too;
* blacklist item   -> `hetrixtools_blacklist` with value = number of lists, which clears at 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, StrictInt, StrictStr

from alerthub.config.durations import Duration
from alerthub.config.models import Strict
from alerthub.domain.durations import format_duration
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.summaries import say
from alerthub.errors import InputError, Problem
from alerthub.sources.contracts import Endpoint, InboundRequest, Parsed, PushContext, PushSource, Settings, reveal
from alerthub.sources.signatures import require_token
from alerthub.validation import EPOCH_SECONDS, parse_json, validate

SOURCE = "hetrixtools"
DOWNTIME_RULE = "hetrixtools_downtime"
RECOVERY_RULE = "hetrixtools_recovery"
BLACKLIST_RULE = "hetrixtools_blacklist"
IDENTITY = ("monitor_id",)


class HetrixToolsConfig(Strict):
    api_key: SecretStr | None = None
    base_url: str = "https://api.hetrixtools.com"
    poll_interval: Duration = timedelta(minutes=5)
    webhook_token: SecretStr | None = None
    expect_every: Duration | None = None


SETTINGS = Settings("hetrixtools", HetrixToolsConfig)


def _id_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _whole_number(value: object) -> object:
    # Blacklist counts arrive as strings ("2"); a PHP sender may also send a number.
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _location_errors(value: object) -> object:
    if value is None or isinstance(value, dict | list):
        return value
    raise ValueError("must be an object of location name to error")


IdText = Annotated[StrictStr, BeforeValidator(_id_text), Field(min_length=1, max_length=200)]
Count = Annotated[StrictInt, BeforeValidator(_whole_number), Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UptimeBody(_Model):
    monitor_id: IdText
    monitor_name: StrictStr = ""
    monitor_target: StrictStr | None = None
    monitor_type: StrictStr | None = None
    monitor_category: StrictStr | None = None
    monitor_status: Literal["online", "offline"]
    timestamp: Annotated[StrictInt, BeforeValidator(_whole_number), EPOCH_SECONDS] | None = None
    # An object {"New York": "timeout"}; PHP encodes an empty one as [], and `online` may omit it.
    monitor_errors: Annotated[Any, BeforeValidator(_location_errors)] = None


class Listing(_Model):
    rbl: StrictStr
    delist: StrictStr | None = None


class Links(_Model):
    report_link: StrictStr | None = None
    whitelabel_report_link: StrictStr | None = None


class BlacklistItem(_Model):
    monitor: Annotated[StrictStr, Field(min_length=1, max_length=300)]
    label: StrictStr | None = None
    lebel: StrictStr | None = None  # the spelling of an older revision of HetrixTools' docs
    blacklisted_before: Count | None = None
    blacklisted_now: Count
    blacklisted_on: list[Listing] | None = None
    links: Links | None = None


class HetrixToolsWebhook(PushSource[HetrixToolsConfig, HetrixToolsConfig]):
    settings = SETTINGS
    path = "hetrixtools"
    description = "HetrixTools uptime (object) and blacklist (array) notifications; any Content-Type."

    def endpoints(self, settings: HetrixToolsConfig) -> Sequence[Endpoint[HetrixToolsConfig]]:
        return [Endpoint(None, SOURCE, settings, settings.expect_every)]

    def authenticate(self, settings: HetrixToolsConfig, request: InboundRequest) -> None:
        key = "integrations.hetrixtools.webhook_token"
        require_token(request.token(), reveal(settings.webhook_token), key, "Authorization: Bearer")

    async def parse(self, settings: HetrixToolsConfig, request: InboundRequest, context: PushContext) -> Parsed:
        signals = parse_webhook(parse_json(request.body), max_items=context.max_items)
        return Parsed(tuple([await _with_downtime(signal, context) for signal in signals]))


PUSH = HetrixToolsWebhook()


async def _with_downtime(signal: Signal, context: PushContext) -> Signal:
    """A recovery carries the downtime, read from the downtime alert it is about to resolve."""
    if signal.rule_name != DOWNTIME_RULE or signal.status is not SignalStatus.RESOLVED:
        return signal
    found = await context.open_alert(signal)
    if found is None:
        return signal
    return recovered(signal, offline_time(found.annotations, found.first_seen), context.now())


def parse_webhook(data: Any, *, max_items: int = 1000) -> list[Signal]:
    """An object is an uptime notification, an array a batch of blacklist notifications."""
    if isinstance(data, list):
        if len(data) > max_items:
            raise InputError(
                f"too many blacklist items: {len(data)} > {max_items}", [Problem("body", f"at most {max_items}")], 413
            )
        return [_blacklist(validate(BlacklistItem, item, root=f"body[{i}]"), item) for i, item in enumerate(data)]
    if isinstance(data, dict):
        return _uptime(validate(UptimeBody, data), data)
    raise InputError(
        "the body must be an uptime object or a blacklist array",
        [Problem("body", "must be a JSON object or array")],
    )


def recovered(signal: Signal, offline_at: datetime, now: datetime) -> Signal:
    """The resolving signal with how long the monitor was down (offline time from the open alert)."""
    online_at = signal.observed_at or now
    down = format_duration(online_at - offline_at)
    name = signal.labels.get("service") or signal.labels["monitor_id"]
    annotations = {
        **signal.annotations,
        "summary": say("up_after", name=name, duration=down),
        "downtime": down,
        "downtime_seconds": str(max(0, int((online_at - offline_at).total_seconds()))),
    }
    return replace(signal, annotations=annotations)


def offline_time(annotations: dict[str, str], fallback: datetime) -> datetime:
    """When HetrixTools said the monitor went offline (its own clock), else when the hub heard."""
    try:
        return datetime.fromisoformat(annotations["offline_at"])
    except (KeyError, ValueError):
        return fallback


def _uptime(body: UptimeBody, raw: Any) -> list[Signal]:
    name = body.monitor_name or body.monitor_id
    labels = {"monitor_id": body.monitor_id, "service": body.monitor_name, "url": body.monitor_target or ""}
    labels = {k: v for k, v in labels.items() if v}
    at = datetime.fromtimestamp(body.timestamp, UTC) if body.timestamp is not None else None
    context = {"monitor_type": body.monitor_type or "", "category": body.monitor_category or ""}
    if body.monitor_status == "offline":
        errors = _errors(body.monitor_errors)
        annotations = {
            **context,
            "summary": say("down_because", name=name, errors=errors) if errors else say("down", name=name),
            "errors": errors,
            "offline_at": at.isoformat() if at else "",
        }
        return [_signal(DOWNTIME_RULE, labels, annotations, SignalStatus.FIRING, at, raw)]
    annotations = {**context, "summary": say("up", name=name), "online_at": at.isoformat() if at else ""}
    return [
        _signal(DOWNTIME_RULE, labels, annotations, SignalStatus.RESOLVED, at, raw),
        _signal(RECOVERY_RULE, labels, annotations, SignalStatus.FIRING, at, raw),
    ]


def _signal(
    rule: str, labels: dict[str, str], annotations: dict[str, str], status: SignalStatus, at: datetime | None, raw: Any
) -> Signal:
    return Signal(
        rule_name=rule,
        source=SOURCE,
        labels=labels,
        annotations={k: v for k, v in annotations.items() if v},
        status=status,
        observed_at=at,
        # A renamed monitor or a changed target is still the same monitor.
        identity=IDENTITY,
        raw=raw,
    )


def _errors(errors: Any) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{where}: {what}" for where, what in errors.items())
    return "; ".join(str(e) for e in errors or ())


def _blacklist(item: BlacklistItem, raw: Any) -> Signal:
    label = item.label or item.lebel or ""
    lists = ", ".join(entry.rbl for entry in item.blacklisted_on or ())
    who = f"{item.monitor} ({label})" if label else item.monitor
    summary = say("blacklisted_on" if lists else "blacklisted", name=who, count=item.blacklisted_now, lists=lists)
    if item.blacklisted_now == 0:
        summary = say("not_blacklisted", name=who)
    annotations = {
        "summary": summary,
        "label": label,
        "listed_on": lists,
        "blacklisted_before": str(item.blacklisted_before) if item.blacklisted_before is not None else "",
        "url": (item.links.report_link or "") if item.links else "",
    }
    return Signal(
        rule_name=BLACKLIST_RULE,
        source=SOURCE,
        value=float(item.blacklisted_now),
        labels={"monitor": item.monitor},
        annotations={k: v for k, v in annotations.items() if v},
        raw=raw,
    )
