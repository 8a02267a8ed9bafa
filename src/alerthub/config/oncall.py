"""The on-call keys of the configuration: `people[]` and `schedules[]`. A schedule's restrictions are
Alertmanager `time_intervals` specs, parsed where those are (pipeline/timeintervals.py, at the root);
names across keys (a rotation naming a person) are checked in checks.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

from alerthub.config.durations import Duration, PositiveDuration
from alerthub.config.intervals import TimeIntervalSpec
from alerthub.validation import Timestamp


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or Asia/Seoul") from None
    return name


def _digits(value: object) -> object:
    # Chat ids are numbers in Telegram's API; YAML reads an unquoted one as an int.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _an_hour_or_more(value: timedelta) -> timedelta:
    # Shorter turns would be no rotation a person can follow, and would make calendars of thousands of events.
    if value < timedelta(hours=1):
        raise ValueError("must be at least 1h")
    return value


TimeZone = Annotated[str, AfterValidator(_zone)]
# Printable text: a name is shown on pages, in calendars and in messages, and typed on the command line.
PersonName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
# Schedule names are part of URLs (/api/schedules/{name}/overrides, {name}.ics).
ScheduleName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class PersonConfig(_Strict):
    """Someone who can be on call, and every way to reach them."""

    name: PersonName
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+$")] | None = None
    discord_user_id: Annotated[str, Field(pattern=r"^[0-9]{15,21}$")] | None = None
    slack_user_id: Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,20}$")] | None = None
    telegram_chat_id: Annotated[str, BeforeValidator(_digits), Field(pattern=r"^-?[0-9]{1,20}$")] | None = None
    apprise: list[SecretStr] = Field(default_factory=list)
    time_zone: TimeZone | None = None


class RotationConfig(_Strict):
    """Turns of `every` (measured on the schedule's clock), the first starting at `handoff`, through `people`."""

    every: Annotated[PositiveDuration, AfterValidator(_an_hour_or_more)]
    handoff: Timestamp
    people: Annotated[list[PersonName], Field(min_length=1)]


class LayerConfig(_Strict):
    """A rotation that takes precedence over the schedule's own (and earlier layers) inside `restrict`."""

    name: str | None = None
    rotation: RotationConfig
    restrict: list[TimeIntervalSpec] = Field(default_factory=list)


def _up_to_a_week(value: timedelta) -> timedelta:
    # Each pass looks this far ahead on every schedule that sends handoff messages.
    if value > timedelta(days=7):
        raise ValueError("must be at most 7d")
    return value


class HandoffMessageConfig(_Strict):
    """A message to each person coming on call, `ahead` of their shift's start, over `via` (channel names;
    default every channel that can reach that person by name: one whose type mentions or writes to a
    person and for which they have a contact)."""

    via: Annotated[list[str], Field(min_length=1)] | None = None
    ahead: Annotated[Duration, AfterValidator(_up_to_a_week)] = timedelta(0)


def _switch(value: object) -> object:
    # `handoff_message: true` is the message with its defaults; `false` is none.
    if value is True:
        return {}
    return None if value is False else value


class ScheduleConfig(_Strict):
    name: ScheduleName
    time_zone: TimeZone
    rotation: RotationConfig
    # Outside these (time_intervals specs; `location` defaults to the schedule's time zone) nobody from
    # the schedule's own rotation is on call.
    restrict: list[TimeIntervalSpec] = Field(default_factory=list)
    layers: list[LayerConfig] = Field(default_factory=list)
    handoff_message: Annotated[HandoffMessageConfig | None, BeforeValidator(_switch)] = None


def _target(value: str) -> str:
    kind, _, name = value.partition(":")
    if kind not in ("schedule", "person", "receiver") or not name.strip() or len(value) > 210:
        raise ValueError("must be schedule:NAME, person:NAME or receiver:NAME")
    return value


# `schedule:primary`, `person:alice`, `receiver:managers`: who a step pages.
EscalationTarget = Annotated[str, AfterValidator(_target)]


class EscalationStepConfig(_Strict):
    """Page `notify` over `via` (channel names; default the receiver's channels), then wait `wait` for an
    acknowledgement before the next step."""

    notify: Annotated[list[EscalationTarget], Field(min_length=1)]
    via: list[str] | None = None
    wait: PositiveDuration = timedelta(minutes=10)


class EscalationPolicyConfig(_Strict):
    """Steps taken in order until someone acknowledges or the alert resolves; `repeat` goes round them
    again that many times. `ack_timeout`: an acknowledgement that old, on an alert still firing, lapses
    (the alert fires again) and the policy starts over."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
    steps: Annotated[list[EscalationStepConfig], Field(min_length=1, max_length=20)]
    repeat: Annotated[int, Field(ge=0, le=10)] = 0
    ack_timeout: PositiveDuration | None = None
