"""The configuration file's shape. Every key of DESIGN.md's contract is here, except each channel
type's own keys, which its module in channels/ declares; unknown keys are errors, so a typo is
reported with its location instead of being silently ignored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from alerthub.config.assets import AssetConfig, DependencyConfig
from alerthub.config.durations import Duration, PositiveDuration
from alerthub.config.flapping import FlappingConfig
from alerthub.config.intervals import TimeIntervalConfig, TimeIntervalSpec, TimeRangeConfig
from alerthub.config.oncall import EscalationPolicyConfig, PersonConfig, ScheduleConfig
from alerthub.config.routes import InhibitRuleConfig, ReceiverConfig, RouteConfig
from alerthub.config.strict import Strict
from alerthub.domain.rule import Comparison
from alerthub.domain.severity import Severity
from alerthub.domain.zones import check_zone
from alerthub.validation import usable_url


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    public_url: str | None = None
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_alerts_per_request: int = Field(1000, ge=1)
    # A request must arrive whole within this; slow or silent clients get 408 (see api/http_protocol.py).
    request_read_timeout: Duration = timedelta(seconds=30)
    keep_alive_timeout: Duration = timedelta(seconds=5)
    max_header_bytes: int = Field(64 * 1024, ge=1024)
    # Open connections served at once; beyond it a request is answered 503 at once, not queued.
    max_connections: int = Field(1000, ge=1)
    # On SIGTERM: how long in-flight requests may take before connections are cut.
    shutdown_timeout: Duration = timedelta(seconds=20)
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # One line per HTTP request (uvicorn's access log), off by default: ingest volume would drown the rest.
    access_log: bool = False
    # The zone messages write times in, unless a channel names its own; None: this machine's zone.
    time_zone: str | None = None
    # One-click Acknowledge / Resolve / Silence 1h links in every message about an open alert: whoever
    # holds a message may act on its alert without logging in, until the link expires.
    action_links: bool = True
    action_link_ttl: PositiveDuration = timedelta(hours=24)
    # HTTP worker processes sharing the port, each a full instance (serving_processes.py); PostgreSQL
    # only. `auto`: one per core (1 on SQLite). One by default: where the database shares the machine's
    # cores, more lose rate and cost CPU per alert (bench/NOTES.md).
    workers: Literal["auto"] | int = 1

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone(value)

    @field_validator("workers", mode="before")
    @classmethod
    def _workers(cls, value: object) -> object:
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 64):
            return value
        raise ValueError(f"must be a number of processes from 1 to 64, or auto (got {value!r})")


class RetentionConfig(Strict):
    """How long history is kept (`alerthub db prune`, the worker's hourly pass); open alerts always stay."""

    resolved: Duration = timedelta(days=90)  # alerts resolved longer ago go, with history and notifications
    silences: Duration = timedelta(days=5)  # expired silences, as Alertmanager
    notifications: Duration = timedelta(days=30)  # delivered; pending ones and those about open alerts stay
    signals: Duration = timedelta(days=8)  # the signal log `alerthub backtest` replays: a week, and a day to spare

    @field_validator("resolved", "silences", "notifications", "signals")
    @classmethod
    def _at_least_an_hour(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):  # shorter would race a group flush still telling of a resolution
            raise ValueError("must be at least 1h")
        return value


class StorageConfig(Strict):
    url: str = "sqlite:///./data/alerthub.db"
    retention: RetentionConfig = RetentionConfig()


class ChannelEntry(BaseModel):
    """One `channels[]` entry: the keys every channel type shares, checked here, and its type's own keys,
    kept as given. Those are checked against the type's own model (a subclass of this one, in the
    channel's module) by `alerthub.channels.registry`: config sits below the channels and does not
    know them."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    type: str
    send_resolved: bool = True
    language: Literal["en", "ko"] = "en"
    rate_per_second: float | None = Field(None, gt=0)
    burst: int | None = Field(None, ge=1)
    timeout: Duration = timedelta(seconds=10)
    templates: dict[str, str] = Field(default_factory=dict)
    time_zone: str | None = None  # IANA name; the server's `time_zone` when unset

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone(value)


class RuleConfig(Strict):
    name: str = Field(min_length=1, max_length=200)
    source: str = "api"
    metric: str = "value"
    comparison: Comparison = Comparison.GT
    thresholds: dict[Severity, float] = Field(default_factory=dict)
    severity: Severity | None = None
    for_: Duration = Field(timedelta(0), alias="for")
    keep_firing_for: Duration = timedelta(0)
    cooldown: Duration = timedelta(0)
    resolves: list[str] = Field(default_factory=list)
    creates_alerts: bool = True
    labels: dict[str, str] = Field(default_factory=dict)
    summary: str | None = None
    description: str | None = None
    # Carried into every message about the rule's alerts (an alert's own `runbook_url` annotation wins).
    runbook_url: str | None = None
    flapping: FlappingConfig | bool = True  # the built-in policy; `false` off; or its own window, changes, settle

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @field_validator("runbook_url")
    @classmethod
    def _runbook(cls, value: str | None) -> str | None:
        if value is not None and not usable_url(value):
            raise ValueError('must be an http(s) URL with a host and no spaces or <>"|` characters')
        return value


class IntegrationSettings(BaseModel):
    """One `integrations.<name>` mapping as written, readable by attribute (`.org`) but not checked
    here: its source validates it (alerthub.sources.registry), as config imports nothing above it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def __repr__(self) -> str:
        # Raw values include tokens that are not SecretStr yet: a repr must not show them.
        return f"IntegrationSettings({', '.join(self.model_extra or {})})"

    __str__ = __repr__


class IntegrationsConfig(BaseModel):
    """`integrations.<name>`: one entry per source, a mapping (or a list: `generic[]`). Which names
    exist and what each holds is the sources' business: `sources.registry.check_integrations`."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _readable(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        return {name: _settings(entry) for name, entry in data.items()}

    def entries(self) -> dict[str, Any]:
        """Each entry as written: plain mappings and lists, for its source to validate."""
        return {
            name: dict(entry.model_extra or {}) if isinstance(entry, IntegrationSettings) else entry
            for name, entry in (self.model_extra or {}).items()
        }

    def __repr__(self) -> str:
        return f"IntegrationsConfig({', '.join(self.model_extra or {})})"

    __str__ = __repr__


def _settings(entry: object) -> object:
    # Anything else (a list, a typo'd scalar) is kept as written for its source to accept or refuse.
    if isinstance(entry, dict) and all(isinstance(key, str) for key in entry):
        return IntegrationSettings.model_validate(entry)
    return entry


class HeartbeatConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    expect_every: Duration
    grace: Duration = timedelta(0)
    labels: dict[str, str] = Field(default_factory=dict)


class DeliveryConfig(Strict):
    max_attempts: int = Field(12, ge=1)
    max_age: Duration = timedelta(hours=6)
    initial_backoff: Duration = timedelta(seconds=2)
    max_backoff: Duration = timedelta(minutes=5)
    # How long a claimed outbox row or alert group is one instance's: the takeover time after a crash.
    # At least twice the slowest channel timeout (10 s by default); see docs/operations.md.
    lease: Duration = timedelta(seconds=25)


class AuthConfig(Strict):
    session_secret: SecretStr | None = None
    cookie_secure: bool | None = None
    # A session ends this long after login, or after this long without a request, whichever comes first.
    session_max_age: PositiveDuration = timedelta(days=7)
    session_idle_timeout: PositiveDuration = timedelta(hours=12)
    # `open`: while no token that may ingest exists, a sender on this host (loopback, no proxy headers)
    # needs none, so adding a dashboard login does not cut off the seed's unauthenticated monitors.
    loopback_ingest: Literal["open", "token"] = "open"

    @field_validator("session_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # A short secret makes session cookies forgeable offline; leave it unset to get a generated one.
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (or leave it unset: one is generated and stored)")
        return value


class Config(Strict):
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    channels: list[ChannelEntry] = Field(default_factory=list)
    receivers: list[ReceiverConfig] = Field(default_factory=list)
    rules: list[RuleConfig] = Field(default_factory=list)
    route: RouteConfig = RouteConfig()
    inhibit_rules: list[InhibitRuleConfig] = Field(default_factory=list)
    time_intervals: list[TimeIntervalConfig] = Field(default_factory=list)
    integrations: IntegrationsConfig = IntegrationsConfig()
    heartbeats: list[HeartbeatConfig] = Field(default_factory=list)
    delivery: DeliveryConfig = DeliveryConfig()
    auth: AuthConfig = AuthConfig()
    people: list[PersonConfig] = Field(default_factory=list)
    schedules: list[ScheduleConfig] = Field(default_factory=list)
    escalation_policies: list[EscalationPolicyConfig] = Field(default_factory=list)
    assets: list[AssetConfig] = Field(default_factory=list)
    dependencies: list[DependencyConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _channels_take_the_servers_zone(cls, data: Any) -> Any:
        """A channel with no `time_zone` of its own writes times in `server.time_zone` (a bad server zone
        is reported once, at `server.time_zone`, not again at every channel)."""
        if not isinstance(data, dict) or not isinstance(data.get("channels"), list):
            return data
        server = data.get("server")
        zone = server.get("time_zone") if isinstance(server, dict) else getattr(server, "time_zone", None)
        if not isinstance(zone, str) or not _known_zone(zone):
            return data
        channels = [
            {**c, "time_zone": zone} if isinstance(c, dict) and c.get("time_zone") is None else c
            for c in data["channels"]
        ]
        return {**data, "channels": channels}


def _known_zone(name: str) -> bool:
    try:
        check_zone(name)
    except ValueError:
        return False
    return True


# Still importable from here.
__all__ = [
    "InhibitRuleConfig",
    "ReceiverConfig",
    "RouteConfig",
    "Strict",
    "TimeIntervalConfig",
    "TimeIntervalSpec",
    "TimeRangeConfig",
]
