"""Checks that span several keys: names that must exist, names that must be unique."""

from __future__ import annotations

from collections import Counter

from alerthub.config.models import Config, RouteConfig
from alerthub.config.oncall import RotationConfig
from alerthub.errors import Problem, missing_extra


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
    policies = {p.name for p in config.escalation_policies}
    problems += _check_route(config.route, "route", targets, interval_names, policies)
    if config.storage.url.startswith("postgres"):
        problems += missing_extra("storage.url", "asyncpg", "postgres")
    problems += check_workers(config)
    for i, rule in enumerate(config.rules):
        for severity in rule.thresholds:
            if rule.comparison in ("==", "!=") and len(rule.thresholds) > 1:
                problems.append(Problem(f"rules[{i}].thresholds.{severity}", "== and != take one threshold"))
                break
    return problems + _check_oncall(config) + _check_escalation(config) + _check_assets(config)


def check_workers(config: Config) -> list[Problem]:
    """Several processes writing one SQLite file would each run their own writer, group timers and
    outbox claims with no lease between them (store/instance_lock.py): only PostgreSQL takes them."""
    workers = config.server.workers
    if workers == "auto" or workers == 1 or config.storage.url.startswith("postgres"):
        return []
    return [Problem("server.workers", f"{workers} worker processes need PostgreSQL (storage.url); SQLite takes 1")]


def _duplicates(where: str, names: list[str]) -> list[Problem]:
    return [Problem(where, f"the name {name!r} is used {n} times") for name, n in Counter(names).items() if n > 1]


def _check_route(
    route: RouteConfig, where: str, targets: set[str], intervals: set[str], policies: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    if route.receiver is not None and route.receiver not in targets and targets:
        problems.append(Problem(f"{where}.receiver", f"no receiver or channel named {route.receiver!r}"))
    if route.escalation is not None and route.escalation not in policies:
        problems.append(Problem(f"{where}.escalation", _no_policy(route.escalation, policies)))
    for field in ("mute_time_intervals", "active_time_intervals"):
        for j, name in enumerate(getattr(route, field)):
            if name not in intervals:
                problems.append(Problem(f"{where}.{field}[{j}]", f"no time interval named {name!r}"))
    for i, child in enumerate(route.routes):
        problems += _check_route(child, f"{where}.routes[{i}]", targets, intervals, policies)
    return problems


def _check_oncall(config: Config) -> list[Problem]:
    problems = _duplicates("people", [p.name for p in config.people])
    problems += _duplicates("schedules", [s.name for s in config.schedules])
    people = {p.name for p in config.people}
    channels = {c.name for c in config.channels}
    for i, schedule in enumerate(config.schedules):
        problems += _check_rotation(schedule.rotation, f"schedules[{i}].rotation", people)
        for j, layer in enumerate(schedule.layers):
            problems += _check_rotation(layer.rotation, f"schedules[{i}].layers[{j}].rotation", people)
        via = schedule.handoff_message.via if schedule.handoff_message else None
        for k, channel in enumerate(via or []):
            if channel not in channels:
                problems.append(Problem(f"schedules[{i}].handoff_message.via[{k}]", f"no channel named {channel!r}"))
    return problems


def _check_rotation(rotation: RotationConfig, where: str, people: set[str]) -> list[Problem]:
    known = ", ".join(sorted(people)) or "none: add them under people[]"
    return [
        Problem(f"{where}.people[{k}]", f"no person named {name!r} (people: {known})")
        for k, name in enumerate(rotation.people)
        if name not in people
    ]


def _check_assets(config: Config) -> list[Problem]:
    problems = _duplicates("assets", [a.name for a in config.assets])
    known = {a.name for a in config.assets}
    for i, dependency in enumerate(config.dependencies):
        if dependency.asset not in known:
            problems.append(Problem(f"dependencies[{i}].asset", f"no asset named {dependency.asset!r}"))
    return problems


def _check_escalation(config: Config) -> list[Problem]:
    """Every name a policy uses, and every use of a policy, must exist."""
    policies = {p.name for p in config.escalation_policies}
    problems = _duplicates("escalation_policies", [p.name for p in config.escalation_policies])
    for i, receiver in enumerate(config.receivers):
        if receiver.escalation is not None and receiver.escalation not in policies:
            problems.append(Problem(f"receivers[{i}].escalation", _no_policy(receiver.escalation, policies)))
    known = {
        "schedule": {s.name for s in config.schedules},
        "person": {p.name for p in config.people},
        "receiver": {r.name for r in config.receivers},
    }
    channels = {c.name for c in config.channels}
    for i, policy in enumerate(config.escalation_policies):
        for j, step in enumerate(policy.steps):
            where = f"escalation_policies[{i}].steps[{j}]"
            for k, target in enumerate(step.notify):
                kind, name = target.split(":", 1)
                if name not in known[kind]:
                    listed = ", ".join(sorted(known[kind])) or "none are configured"
                    problems.append(Problem(f"{where}.notify[{k}]", f"no {kind} named {name!r} ({kind}s: {listed})"))
            for k, channel in enumerate(step.via or []):
                if channel not in channels:
                    problems.append(Problem(f"{where}.via[{k}]", f"no channel named {channel!r}"))
    return problems


def _no_policy(name: str, policies: set[str]) -> str:
    listed = ", ".join(sorted(policies)) or "none: add them under escalation_policies[]"
    return f"no escalation policy named {name!r} (escalation_policies: {listed})"
