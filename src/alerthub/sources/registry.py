"""Every source the hub serves, one line each, and what the configuration says about each of them.

`check_integrations(config)` lists the problems of `integrations.*` with their locations;
`resolve(config)` validates them once into the `Integrations` the services are handed;
`source_rules()` are the built-in rules the sources bring (the composition root adds them to the rule set).
(alertmanager, pagerduty and seed are bodies of the HTTP API, served by api/routes/ingest.py; one of them
that has settings of its own registers just its `Settings`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, cast

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from alerthub.config.models import Config
from alerthub.domain.rule import Rule
from alerthub.errors import ConfigError, NotFoundError, Problem, missing_extra
from alerthub.sources import (  # one source a line: registering one is this line and its entry below
    ga4_pull,
    generic,
    hetrixtools,
    hetrixtools_poller,
    pagerduty_settings,
    sentry_poller,
    sentry_webhook,
    slack_actions,
    system,
    telegram_updates,
    uptime_kuma,
)
from alerthub.sources.contracts import PullSource, PushSource, Settings
from alerthub.validation import location

S = TypeVar("S")
AnyPush = PushSource[Any, Any]
AnyPull = PullSource[Any]


@dataclass(frozen=True)
class Integrations:
    """Every registered source with its validated settings: resolved once, handed to the services."""

    push: tuple[AnyPush, ...]
    pull: tuple[AnyPull, ...]
    values: Mapping[str, object]

    def of(self, settings: Settings[S]) -> S:
        return cast(S, self.values[settings.key])

    def push_source(self, path: str) -> AnyPush:
        found = next((source for source in self.push if source.path == path), None)
        if found is None:
            raise NotFoundError(f"no webhook source {path!r}")
        return found

    def webhook_promises(self) -> list[tuple[str, timedelta]]:
        """(source, expect_every) of every webhook endpoint that promised to keep talking."""
        endpoints = [e for source in self.push for e in source.endpoints(self.of(source.settings))]
        return [(e.source, e.expect_every) for e in endpoints if e.expect_every]


class Registry:
    def __init__(self, *sources: AnyPush | AnyPull | Settings[Any]) -> None:
        """Push and pull sources, and the `Settings` of a source served elsewhere (an HTTP API body)."""
        self.push = tuple(s for s in sources if isinstance(s, PushSource))
        self.pull = tuple(s for s in sources if isinstance(s, PullSource))
        self.settings: dict[str, Settings[Any]] = {}
        for source in sources:
            settings = source if isinstance(source, Settings) else source.settings
            known = self.settings.setdefault(settings.key, settings)
            if known is not settings:
                raise ValueError(f"two settings models for integrations.{settings.key}")
        paths = [s.path for s in self.push]
        if len(set(paths)) != len(paths):
            raise ValueError(f"two push sources share a path: {sorted(paths)}")
        names = [rule.name for rule in self.rules()]
        if len(set(names)) != len(names):
            raise ValueError(f"two sources bring a rule of the same name: {sorted(names)}")

    def rules(self) -> tuple[Rule, ...]:
        sources: tuple[AnyPush | AnyPull, ...] = (*self.push, *self.pull)
        return tuple(rule for source in sources for rule in source.rules)

    def check(self, config: Config) -> list[Problem]:
        values, problems = self._read(config.integrations.entries())
        for source in self.pull:
            key = source.settings.key
            if source.needs and not problems and source.enabled(values[key]):
                problems += missing_extra(f"integrations.{key}", *source.needs)
        return problems

    def check_entries(self, entries: Mapping[str, Any]) -> list[Problem]:
        """The same check on `integrations` as written (for a file whose other parts do not validate)."""
        return self._read(entries)[1]

    def resolve(self, config: Config) -> Integrations:
        """Raises ConfigError listing every problem, as `check` reports them."""
        values, problems = self._read(config.integrations.entries())
        if problems:
            raise ConfigError(problems)
        return Integrations(self.push, self.pull, values)

    def _read(self, entries: Mapping[str, Any]) -> tuple[dict[str, object], list[Problem]]:
        known = ", ".join(sorted(self.settings))
        problems = [
            Problem(f"integrations.{name}", f"unknown integration (check the spelling); known: {known}")
            for name in entries
            if name not in self.settings
        ]
        values: dict[str, object] = {}
        for key, settings in self.settings.items():
            try:
                values[key] = settings.read(entries[key]) if key in entries else settings.default()
            except ValidationError as exc:
                problems += [_problem(f"integrations.{key}", e) for e in exc.errors(include_url=False)]
        return values, problems


def _problem(root: str, error: ErrorDetails) -> Problem:
    # The same words as the loader's, so a mistake reads the same wherever it is found.
    message = "unknown key (check the spelling)" if error["type"] == "extra_forbidden" else error["msg"]
    return Problem(location(root, error["loc"]), message)


SOURCES = Registry(
    sentry_webhook.PUSH,
    sentry_poller.PULL,
    hetrixtools.PUSH,
    hetrixtools_poller.PULL,
    generic.PUSH,
    ga4_pull.PULL,
    system.PULL,
    uptime_kuma.PUSH,
    pagerduty_settings.SETTINGS,
    slack_actions.SETTINGS,
    telegram_updates.SETTINGS,
)


def check_integrations(config: Config) -> list[Problem]:
    """Every problem of `integrations.*`, located (`integrations.sentry.poll_interval: ...`)."""
    return SOURCES.check(config)


def resolve(config: Config) -> Integrations:
    return SOURCES.resolve(config)


def source_rules() -> tuple[Rule, ...]:
    return SOURCES.rules()
