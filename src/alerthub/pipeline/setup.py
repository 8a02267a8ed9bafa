"""What the stages need from the configuration, built once, and the mute stages in Alertmanager's order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alerthub.config.models import Config
from alerthub.domain.rule import RuleLookup
from alerthub.domain.silence import Silence
from alerthub.pipeline.batch import Stage
from alerthub.pipeline.dependencies import Dependency, build_dependencies, dependency_rules
from alerthub.pipeline.enqueue import PayloadBuilder, base_url
from alerthub.pipeline.flapping import FlapStage
from alerthub.pipeline.inhibit import Inhibitor, InhibitRule
from alerthub.pipeline.mute import MuteStage
from alerthub.pipeline.route_checks import check_pipeline_config
from alerthub.pipeline.routing import Route, build_routes
from alerthub.pipeline.silence import Silencer
from alerthub.pipeline.time_window import TimeWindowStage
from alerthub.pipeline.timeintervals import TimeInterval, build_time_intervals
from alerthub.store.groups import FiringAlert


@dataclass(frozen=True, slots=True)
class PipelineSetup:
    config: Config
    rules: RuleLookup
    root: Route
    intervals: dict[str, TimeInterval]
    inhibit_rules: tuple[InhibitRule, ...]
    builder: PayloadBuilder
    dependencies: tuple[Dependency, ...] = ()

    @property
    def by_path(self) -> dict[str, Route]:
        return {r.path: r for r in self.root.walk()}

    def mute_stages(self, active: Sequence[Silence], firing: Sequence[FiringAlert]) -> list[Stage]:
        """Inhibition, time windows, silences: Alertmanager's order. `firing` are the possible sources of
        inhibition (read only when there are inhibit rules); dedup, fan-out and enqueue follow per
        channel in `flush_plan.plan_flush`. A muter with nothing to mute by (no inhibit rule or no
        firing alert, no live silence) is left out: it would keep every member, after asking about each."""
        stages: list[Stage] = [FlapStage()]  # first: a flapping alert is held back whatever else would mute it
        if self.inhibit_rules and firing:
            stages.append(MuteStage("inhibit", Inhibitor(self.inhibit_rules, firing)))
        stages.append(TimeWindowStage(self.intervals))
        if active:
            stages.append(MuteStage("silence", Silencer(active)))
        return stages


def build_setup(config: Config, rules: RuleLookup) -> PipelineSetup:
    """Raises ConfigError listing every matcher or time interval problem with its location."""
    check_pipeline_config(config)
    dependencies = build_dependencies(config.dependencies)
    return PipelineSetup(
        config=config,
        rules=rules,
        root=build_routes(config),
        intervals=build_time_intervals(config.time_intervals),
        inhibit_rules=tuple(InhibitRule.from_config(r) for r in config.inhibit_rules) + dependency_rules(dependencies),
        builder=PayloadBuilder(rules, base_url(config)),
        dependencies=dependencies,
    )
