"""Checks that span several keys: names that must exist, names that must be unique."""

from __future__ import annotations

import re
from collections import Counter

from alerthub.config.models import Config, RouteConfig
from alerthub.errors import Problem
from alerthub.rules.templates import check_template


def cross_check(config: Config) -> list[Problem]:
    problems: list[Problem] = []
    channel_names = [c.name for c in config.channels]
    problems += _duplicates("channels", channel_names)
    problems += _duplicates("receivers", [r.name for r in config.receivers])
    problems += _duplicates("rules", [r.name for r in config.rules])
    known_channels = set(channel_names)
    for i, receiver in enumerate(config.receivers):
        for field in ("channels", "fallback"):
            for j, name in enumerate(getattr(receiver, field)):
                if name not in known_channels:
                    problems.append(Problem(f"receivers[{i}].{field}[{j}]", f"no channel named {name!r}"))
    targets = known_channels | {r.name for r in config.receivers}
    interval_names = {t.name for t in config.time_intervals}
    problems += _check_route(config.route, "route", targets, interval_names)
    for i, rule in enumerate(config.rules):
        for field in ("summary", "description"):
            text = getattr(rule, field)
            error = check_template(text) if text is not None else None
            if error:
                problems.append(Problem(f"rules[{i}].{field}", f"template error: {error}"))
        for severity in rule.thresholds:
            if rule.comparison in ("==", "!=") and len(rule.thresholds) > 1:
                problems.append(Problem(f"rules[{i}].thresholds.{severity}", "== and != take one threshold"))
                break
    from alerthub.delivery.checks import check_channels  # here: delivery imports config

    problems += check_channels(config)
    from alerthub.pipeline.checks import pipeline_problems  # here: the pipeline imports config

    problems += pipeline_problems(config)
    return problems


def _duplicates(where: str, names: list[str]) -> list[Problem]:
    return [Problem(where, f"the name {name!r} is used {n} times") for name, n in Counter(names).items() if n > 1]


def _check_route(route: RouteConfig, where: str, targets: set[str], intervals: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    if route.receiver is not None and route.receiver not in targets and targets:
        problems.append(Problem(f"{where}.receiver", f"no receiver or channel named {route.receiver!r}"))
    for key, pattern in route.match_re.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(Problem(f"{where}.match_re.{key}", f"not a valid regular expression: {exc}"))
    for field in ("mute_time_intervals", "active_time_intervals"):
        for j, name in enumerate(getattr(route, field)):
            if name not in intervals:
                problems.append(Problem(f"{where}.{field}[{j}]", f"no time interval named {name!r}"))
    for i, child in enumerate(route.routes):
        problems += _check_route(child, f"{where}.routes[{i}]", targets, intervals)
    return problems
