"""Alertmanager's `time_intervals` shape, used by routes (mute/active) and by on-call restrictions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
