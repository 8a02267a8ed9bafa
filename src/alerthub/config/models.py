"""The configuration file's shape. Every key of DESIGN.md's contract is here; unknown keys are errors,
so a typo is reported with its location instead of being silently ignored."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from alerthub.config.durations import Duration
from alerthub.domain.rule import Comparison
from alerthub.domain.severity import Severity
from alerthub.sources.generic import check_fields


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    public_url: str | None = None
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_alerts_per_request: int = Field(1000, ge=1)
    # A request must arrive whole within this; slow or silent clients get 408 (see http_protocol.py).
    request_read_timeout: Duration = timedelta(seconds=30)
    keep_alive_timeout: Duration = timedelta(seconds=5)
    max_header_bytes: int = Field(64 * 1024, ge=1024)
    # Open connections served at once; beyond it a request is answered 503 at once, not queued.
    max_connections: int = Field(1000, ge=1)
    # On SIGTERM: how long in-flight requests may take before connections are cut.
    shutdown_timeout: Duration = timedelta(seconds=20)


class StorageConfig(Strict):
    url: str = "sqlite:///./data/alerthub.db"


class _ChannelBase(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    send_resolved: bool = True
    language: Literal["en", "ko"] = "en"
    rate_per_second: float | None = Field(None, gt=0)
    burst: int | None = Field(None, ge=1)
    timeout: Duration = timedelta(seconds=10)
    templates: dict[str, str] = Field(default_factory=dict)


class DiscordChannelConfig(_ChannelBase):
    type: Literal["discord"]
    url: SecretStr
    mention_roles: list[str] = Field(default_factory=list)
    mention_users: list[str] = Field(default_factory=list)
    username: str | None = None


class SlackChannelConfig(_ChannelBase):
    type: Literal["slack"]
    url: SecretStr


class WebhookChannelConfig(_ChannelBase):
    type: Literal["webhook"]
    url: SecretStr
    secret: SecretStr | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class EmailChannelConfig(_ChannelBase):
    type: Literal["email"]
    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    from_: str | None = Field(None, alias="from")
    to: list[str] = Field(min_length=1)
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    validate_certs: bool = True

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("to", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value


class TelegramChannelConfig(_ChannelBase):
    type: Literal["telegram"]
    bot_token: SecretStr
    chat_id: str
    base_url: str = "https://api.telegram.org"

    @field_validator("chat_id", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class AppriseChannelConfig(_ChannelBase):
    type: Literal["apprise"]
    urls: list[SecretStr] = Field(min_length=1)


ChannelConfig = Annotated[
    DiscordChannelConfig
    | SlackChannelConfig
    | WebhookChannelConfig
    | EmailChannelConfig
    | TelegramChannelConfig
    | AppriseChannelConfig,
    Field(discriminator="type"),
]


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

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class ReceiverConfig(Strict):
    name: str = Field(min_length=1)
    channels: list[str] = Field(default_factory=list)
    fallback: list[str] = Field(default_factory=list)
    fallback_after: Duration = timedelta(minutes=5)


class RouteConfig(Strict):
    receiver: str | None = None
    group_by: list[str] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    match: dict[str, str] = Field(default_factory=dict)
    match_re: dict[str, str] = Field(default_factory=dict)
    matchers: list[str] = Field(default_factory=list)
    continue_: bool = Field(False, alias="continue")
    mute_time_intervals: list[str] = Field(default_factory=list)
    active_time_intervals: list[str] = Field(default_factory=list)
    routes: list[RouteConfig] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class InhibitRuleConfig(Strict):
    source_match: dict[str, str] = Field(default_factory=dict)
    source_match_re: dict[str, str] = Field(default_factory=dict)
    source_matchers: list[str] = Field(default_factory=list)
    target_match: dict[str, str] = Field(default_factory=dict)
    target_match_re: dict[str, str] = Field(default_factory=dict)
    target_matchers: list[str] = Field(default_factory=list)
    equal: list[str] = Field(default_factory=list)


class TimeRangeConfig(Strict):
    start_time: str
    end_time: str


class TimeIntervalSpec(Strict):
    times: list[TimeRangeConfig] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list)
    days_of_month: list[str] = Field(default_factory=list)
    months: list[str] = Field(default_factory=list)
    years: list[str] = Field(default_factory=list)
    location: str = "UTC"


class TimeIntervalConfig(Strict):
    name: str
    time_intervals: list[TimeIntervalSpec]


class SentryConfig(Strict):
    webhook_secret: SecretStr | None = None
    webhook_token: SecretStr | None = None
    api_token: SecretStr | None = None
    org: str | None = None
    projects: list[str] = Field(default_factory=list)
    base_url: str = "https://sentry.io"
    poll_interval: Duration = timedelta(minutes=5)
    expect_every: Duration | None = None


class HetrixToolsConfig(Strict):
    api_key: SecretStr | None = None
    base_url: str = "https://api.hetrixtools.com"
    poll_interval: Duration = timedelta(minutes=5)
    webhook_token: SecretStr | None = None
    expect_every: Duration | None = None


class GA4Config(Strict):
    property_id: str | None = None
    credentials_file: str | None = None
    api_endpoint: str | None = None
    poll_interval: Duration = timedelta(minutes=5)
    error_page_pattern: str = r"(?i)(404|not found|error|오류|찾을 수 없)"
    min_volume: int = Field(20, ge=0)
    baseline_weeks: int = Field(4, ge=1, le=12)

    @field_validator("property_id", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class SystemConfig(Strict):
    enabled: bool = False
    interval: Duration = timedelta(seconds=60)
    host: str | None = None


class GenericWebhookConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    token: SecretStr | None = None
    rule_name: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    expect_every: Duration | None = None

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        problems = check_fields(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value


class IntegrationsConfig(Strict):
    sentry: SentryConfig = SentryConfig()
    hetrixtools: HetrixToolsConfig = HetrixToolsConfig()
    ga4: GA4Config = GA4Config()
    system: SystemConfig = SystemConfig()
    generic: list[GenericWebhookConfig] = Field(default_factory=list)


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
    session_max_age: Duration = timedelta(days=7)

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
    channels: list[ChannelConfig] = Field(default_factory=list)
    receivers: list[ReceiverConfig] = Field(default_factory=list)
    rules: list[RuleConfig] = Field(default_factory=list)
    route: RouteConfig = RouteConfig()
    inhibit_rules: list[InhibitRuleConfig] = Field(default_factory=list)
    time_intervals: list[TimeIntervalConfig] = Field(default_factory=list)
    integrations: IntegrationsConfig = IntegrationsConfig()
    heartbeats: list[HeartbeatConfig] = Field(default_factory=list)
    delivery: DeliveryConfig = DeliveryConfig()
    auth: AuthConfig = AuthConfig()
