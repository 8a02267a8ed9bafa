"""People and schedules built from the configuration: what an escalation step asks ("who is on call for
schedule X at t", "how do I reach person P over a channel of type C") and what the faces show."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from alerthub.config.intervals import TimeIntervalSpec
from alerthub.config.models import Config
from alerthub.config.oncall import PersonConfig, RotationConfig, ScheduleConfig
from alerthub.domain.oncall import Override, Person
from alerthub.errors import ConfigError, Problem
from alerthub.oncall.rotation import Rotation
from alerthub.oncall.schedule import Layer, Restriction, Schedule

# (name, specs, where in the file) -> the restriction; raises ConfigError. The root passes
# pipeline.timeintervals.build_interval: the time-interval syntax is parsed in one place.
RestrictionFactory = Callable[[str, Sequence[TimeIntervalSpec], str], Restriction]


@dataclass(frozen=True)
class Roster:
    people: Mapping[str, Person]
    schedules: Mapping[str, Schedule]

    def on_call(self, schedule: str, moment: datetime, overrides: Sequence[Override] = ()) -> tuple[Person, ...]:
        """Who is on call for the schedule at `moment`, as people to reach; () for an unknown schedule."""
        found = self.schedules.get(schedule)
        if found is None:
            return ()
        return tuple(self.people[name] for name in found.on_call_at(moment, overrides) if name in self.people)

    def address(self, person: str, channel_type: str) -> tuple[str, ...]:
        """How to reach the person over a channel of that type; () when they cannot be (or are unknown)."""
        found = self.people.get(person)
        return found.address(channel_type) if found else ()


def build_roster(config: Config, restriction: RestrictionFactory) -> Roster:
    """Every person and schedule; raises ConfigError naming each restriction that does not parse."""
    problems: list[Problem] = []
    schedules: dict[str, Schedule] = {}
    for i, cfg in enumerate(config.schedules):
        try:
            schedules[cfg.name] = _schedule(cfg, f"schedules[{i}]", restriction)
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return Roster({p.name: _person(p) for p in config.people}, schedules)


def _person(cfg: PersonConfig) -> Person:
    return Person(
        name=cfg.name,
        email=cfg.email,
        discord_user_id=cfg.discord_user_id,
        slack_user_id=cfg.slack_user_id,
        telegram_chat_id=cfg.telegram_chat_id,
        apprise=tuple(url.get_secret_value() for url in cfg.apprise),
        time_zone=cfg.time_zone,
    )


def _schedule(cfg: ScheduleConfig, where: str, restriction: RestrictionFactory) -> Schedule:
    zone = ZoneInfo(cfg.time_zone)
    problems: list[Problem] = []

    def layer(rotation: RotationConfig, specs: list[TimeIntervalSpec], at: str, name: str) -> Layer | None:
        # A spec with no `location` of its own is read on the schedule's clock.
        local = [s if "location" in s.model_fields_set else s.model_copy(update={"location": zone.key}) for s in specs]
        try:
            restricted = restriction(f"{cfg.name}:{name}", local, f"{at}.restrict") if specs else None
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None
        turns = Rotation(rotation.every, rotation.handoff, tuple(rotation.people), zone)
        return Layer(turns, restricted, name)

    layers = [layer(cfg.rotation, cfg.restrict, where, "rotation")]
    for j, extra in enumerate(cfg.layers):
        layers.append(layer(extra.rotation, extra.restrict, f"{where}.layers[{j}]", extra.name or f"layer {j + 1}"))
    if problems:
        raise ConfigError(problems)
    return Schedule(cfg.name, cfg.time_zone, tuple(x for x in layers if x is not None))
