"""Uptime Kuma's Webhook notification, its default body (`server/notification-providers/webhook.js`):
`{"heartbeat": {...}, "monitor": {...}, "msg": "[name] [🔴 Down] <reason>"}` as `application/json`.

Uptime Kuma calls only on a change that matters (`Monitor.isImportantForNotification`): DOWN (first beat,
or after UP, PENDING or MAINTENANCE), UP after DOWN, and DOWN again every `resendInterval` beats.

* status 0 DOWN        -> `uptime_kuma_down` firing (critical) for that monitor (identity: `monitor_id`);
* status 1 UP          -> that alert resolved, carrying the downtime when Uptime Kuma sends `lastDownTime`;
* status 2 PENDING     -> ignored: Uptime Kuma is still retrying, and its Retries setting exists so that
                          nobody is alerted yet (it never notifies a PENDING beat itself);
* status 3 MAINTENANCE -> resolved: Uptime Kuma stops judging the monitor and sends nothing when the window
                          ends with the monitor up, so a firing alert would never close.

`heartbeat` and `monitor` both null is the Test button (`"<notification name> Testing"`) or a certificate or
domain expiry notice: accepted, ignored. The `multipart/form-data` preset and a Custom Body are refused (415)
with the choice to make instead; Uptime Kuma shows that answer next to its Test button.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, StrictStr, field_validator

from alerthub.config.models import Strict
from alerthub.domain.durations import format_duration
from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.summaries import say
from alerthub.errors import InputError, Problem
from alerthub.ingest.limits import MAX_LABEL_VALUE
from alerthub.sources.contracts import Endpoint, InboundRequest, Parsed, PushContext, PushSource, Settings, reveal
from alerthub.sources.signatures import require_token
from alerthub.validation import parse_json, validate

SOURCE = "uptime_kuma"
DOWN_RULE = "uptime_kuma_down"
IDENTITY = ("monitor_id",)
DOWN, UP, PENDING, MAINTENANCE = 0, 1, 2, 3
JSON_PRESET = "in Uptime Kuma's Webhook notification set Request Body to 'Preset - application/json'"


class UptimeKumaConfig(Strict):
    webhook_token: SecretStr | None = None
    # Uptime Kuma's "Primary Base URL": alerts then link to the monitor's page there.
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value is not None and not _has_host(value, ("http", "https")):
            raise ValueError("must be an http(s) URL such as https://status.example.com")
        return value.rstrip("/") if value else value


SETTINGS = Settings("uptime_kuma", UptimeKumaConfig)


def _status(value: object) -> object:
    if type(value) is int and DOWN <= value <= MAINTENANCE:
        return value
    raise ValueError("must be 0 (DOWN), 1 (UP), 2 (PENDING) or 3 (MAINTENANCE)")


def _utc(value: object) -> object:
    # Uptime Kuma writes UTC without a zone: "2026-08-22 14:04:20.123" (redbean's isoDateTimeMillis).
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    raise ValueError("must be a UTC date and time such as 2026-08-22 14:04:20.123")


def _id_text(value: object) -> object:
    return str(value) if type(value) is int else value


Time = Annotated[datetime, BeforeValidator(_utc)]
Amount = Annotated[float, Field(ge=0, strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Heartbeat(_Model):
    status: Annotated[int, BeforeValidator(_status)]
    time: Time | None = None
    msg: StrictStr | None = None
    ping: Amount | None = None  # ms; null when down
    duration: Amount | None = None  # seconds since the previous beat
    timezone: StrictStr | None = None
    localDateTime: StrictStr | None = None  # the same time in Uptime Kuma's own timezone
    lastDownTime: Time | None = None  # on UP: when the monitor went down


class Monitor(_Model):
    id: Annotated[StrictStr, BeforeValidator(_id_text), Field(min_length=1, max_length=100)]
    name: StrictStr = ""
    type: StrictStr | None = None
    url: StrictStr | None = None
    hostname: StrictStr | None = None
    port: Any = None


class WebhookBody(_Model):
    heartbeat: Heartbeat | None = None
    monitor: Monitor | None = None
    msg: StrictStr


class UptimeKumaWebhook(PushSource[UptimeKumaConfig, UptimeKumaConfig]):
    settings = SETTINGS
    path = "uptime_kuma"
    description = "Uptime Kuma's Webhook notification, Request Body 'Preset - application/json'."
    rules = (Rule(DOWN_RULE, SOURCE, "status", severity=Severity.CRITICAL, builtin=True),)

    def endpoints(self, settings: UptimeKumaConfig) -> Sequence[Endpoint[UptimeKumaConfig]]:
        # No expect_every: Uptime Kuma is silent while nothing changes.
        return [Endpoint(None, SOURCE, settings)]

    def authenticate(self, settings: UptimeKumaConfig, request: InboundRequest) -> None:
        key = "integrations.uptime_kuma.webhook_token"
        require_token(request.token(), reveal(settings.webhook_token), key, "Authorization: Bearer")

    async def parse(self, settings: UptimeKumaConfig, request: InboundRequest, context: PushContext) -> Parsed:
        check_media_type(request.headers.get("content-type", ""))
        return parse_webhook(parse_json(request.body), base_url=settings.base_url)


PUSH = UptimeKumaWebhook()


def check_media_type(content_type: str) -> None:
    """Uptime Kuma's JSON preset says application/json; its other bodies say what they are."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not media or media == "application/json" or media.endswith("+json"):
        return
    what = {
        "multipart/form-data": "the 'Preset - multipart/form-data' body is not read here",
        # How Uptime Kuma's HTTP client labels a Custom Body, a string.
        "application/x-www-form-urlencoded": "a Custom Body is not read here",
    }.get(media, f"a {media} body is not read here")
    raise InputError(f"{what}; {JSON_PRESET}", [Problem("headers.content-type", "must be application/json")], 415)


def parse_webhook(data: Any, *, base_url: str | None = None) -> Parsed:
    if not isinstance(data, dict) or "msg" not in data:
        raise InputError(
            f"not Uptime Kuma's webhook body {{heartbeat, monitor, msg}} (a Custom Body?); {JSON_PRESET}",
            [Problem("body", "must be an object with heartbeat, monitor and msg")],
        )
    body = validate(WebhookBody, data)
    if body.heartbeat is None and body.monitor is None:
        what = "Uptime Kuma's test message" if body.msg.endswith(" Testing") else "a notice about no monitor"
        return Parsed((), f"{what}: nothing to store")
    if body.heartbeat is None or body.monitor is None:
        missing, given = ("heartbeat", "monitor") if body.heartbeat is None else ("monitor", "heartbeat")
        problem = Problem(f"body.{missing}", f"required with a {given}")
        raise InputError(f"body.{missing} is null but body.{given} is not", [problem])
    if body.heartbeat.status == PENDING:
        return Parsed((), "PENDING: Uptime Kuma is still retrying; it sends DOWN when it gives up")
    return Parsed((_signal(body.heartbeat, body.monitor, base_url, data),))


def _signal(beat: Heartbeat, monitor: Monitor, base_url: str | None, raw: Any) -> Signal:
    name = monitor.name or f"monitor {monitor.id}"
    annotations = _context(beat, monitor, base_url)
    if beat.status == DOWN:
        annotations["summary"] = say("down_because", name=name, errors=beat.msg or "N/A")
    elif beat.status == MAINTENANCE:
        annotations["summary"] = say("maintenance", name=name)
    else:
        annotations |= _back_up(name, beat)
    return Signal(
        rule_name=DOWN_RULE,
        source=SOURCE,
        labels=_labels(monitor),
        annotations={k: v for k, v in annotations.items() if v},
        status=SignalStatus.FIRING if beat.status == DOWN else SignalStatus.RESOLVED,
        observed_at=beat.time,
        # A renamed monitor or a changed URL is still the same monitor.
        identity=IDENTITY,
        raw=raw,
    )


def _labels(monitor: Monitor) -> dict[str, str]:
    where = monitor.url if monitor.url and _has_host(monitor.url) else _host_port(monitor)
    labels = {"monitor_id": monitor.id, "service": monitor.name}
    # The URL only helps to read the alert; one too long for a label is left to the annotations.
    if where and len(where) <= MAX_LABEL_VALUE:
        labels["url"] = where
    return {k: v for k, v in labels.items() if v}


def _host_port(monitor: Monitor) -> str:
    port = monitor.port
    if not monitor.hostname or not (type(port) is int or (isinstance(port, str) and port.isdigit())):
        return monitor.hostname or ""
    return f"{monitor.hostname}:{port}"


def _context(beat: Heartbeat, monitor: Monitor, base_url: str | None) -> dict[str, str]:
    local = f"{beat.localDateTime} ({beat.timezone})" if beat.localDateTime and beat.timezone else ""
    return {
        "msg": beat.msg or "",
        "ping": f"{beat.ping:g} ms" if beat.ping is not None else "",
        "duration": format_duration(timedelta(seconds=beat.duration)) if beat.duration is not None else "",
        "time": beat.time.isoformat() if beat.time else "",
        "local_time": local,
        "monitor_type": monitor.type or "",
        "url": f"{base_url}/dashboard/{monitor.id}" if base_url else "",
        "monitor_url": monitor.url if monitor.url and _has_host(monitor.url, ("http", "https")) else "",
    }


def _back_up(name: str, beat: Heartbeat) -> dict[str, str]:
    if beat.lastDownTime is None or beat.time is None:
        return {"summary": say("up", name=name)}
    down = beat.time - beat.lastDownTime
    return {
        "summary": say("up_after", name=name, duration=format_duration(down)),
        "downtime": format_duration(down),
        "downtime_seconds": str(max(0, int(down.total_seconds()))),
        "down_since": beat.lastDownTime.isoformat(),
    }


def _has_host(url: str, schemes: tuple[str, ...] | None = None) -> bool:
    """Uptime Kuma leaves its placeholder `https://` in the URL of monitors that do not use one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.hostname) and (schemes is None or parts.scheme.lower() in schemes)
