"""Where alerts go: `receivers[]`, the `route` tree and `inhibit_rules[]`, as Alertmanager spells them."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from alerthub.config.durations import Duration
from alerthub.config.strict import Strict
from alerthub.domain.zones import check_zone

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class NoiseReportConfig(Strict):
    """A receiver's weekly noise report: sent on `weekday` at `at` on `time_zone`'s clock, about the seven
    days before; "out of hours" is 22:00-08:00 on that clock."""

    weekday: Weekday = "monday"
    at: time = time(9, 0)
    time_zone: Annotated[str, AfterValidator(check_zone)] = "UTC"


def _switch(value: object) -> object:
    # `noise_report: true` is the weekly report with its defaults; `false` is none.
    if value is True:
        return {}
    return None if value is False else value


class ReceiverConfig(Strict):
    name: str = Field(min_length=1)
    channels: list[str] = Field(default_factory=list)
    fallback: list[str] = Field(default_factory=list)
    fallback_after: Duration = timedelta(minutes=5)
    # The escalation policy (escalation_policies[].name) that pages people about this receiver's alerts.
    escalation: str | None = None
    noise_report: Annotated[NoiseReportConfig | None, BeforeValidator(_switch)] = None


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
    # An alert the receiver was told about that resolves while silenced, inhibited or in a mute window:
    # `notify` sends its resolution anyway (people who were paged learn it recovered), `drop` stays
    # quiet as Alertmanager does. Inherited; the root's default is `notify`.
    resolved_while_muted: Literal["notify", "drop"] | None = None
    # When a mute ends, one summary to the receiver of what fired and resolved inside it. Inherited;
    # unset means on for time intervals (nobody is watching then) and off for silences.
    mute_summary: bool | None = None
    # How long before a silence ends its receivers are warned, while alerts it holds back still fire.
    # Inherited; the root's default is 15m; `0s` turns the warning off.
    silence_expiry_warning: Duration | None = None
    # The escalation policy for alerts this route sends (inherited; else the receiver's own `escalation`).
    escalation: str | None = None
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
