"""The routing tree, as Alertmanager walks it.

A route matches when its matchers do; its children are tried in order, the first match wins unless that
child sets `continue`; when no child matches, the route itself is the match. Children inherit the
receiver, `group_by` and the three timers from their parent; time intervals are per route, as in
Alertmanager. A receiver name means a configured receiver, else a channel of that name; the root route
with no receiver means every configured channel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from alerthub.config.models import Config, RouteConfig
from alerthub.pipeline.matchers import Matchers, from_config

DEFAULT_GROUP_WAIT = timedelta(seconds=30)
DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
DEFAULT_REPEAT_INTERVAL = timedelta(hours=4)
DEFAULT_SILENCE_EXPIRY_WARNING = timedelta(minutes=15)
ALL_CHANNELS = "default"
_MAX_KEY = 480
_MAX_PATH = 400


@dataclass(frozen=True, slots=True)
class Route:
    path: str
    matchers: Matchers
    receiver: str
    channels: tuple[str, ...]
    group_by: tuple[str, ...] | None  # None: every label (`['...']`)
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    continue_: bool
    mute_time_intervals: tuple[str, ...]
    active_time_intervals: tuple[str, ...]
    routes: tuple[Route, ...]
    announce_resolved_while_muted: bool = True
    mute_summary: bool | None = None  # None: summarise time intervals only (see `summarises`)
    silence_expiry_warning: timedelta = DEFAULT_SILENCE_EXPIRY_WARNING
    # The escalation policy paging people about what this route sends: the route's own `escalation`
    # (inherited by its children), else its receiver's.
    escalation: str | None = None
    escalation_here: str | None = None  # the route-level part, which children inherit

    def match(self, labels: Mapping[str, str]) -> list[Route]:
        if not self.matchers.matches(labels):
            return []
        found: list[Route] = []
        for child in self.routes:
            matched = child.match(labels)
            found += matched
            if matched and not child.continue_:
                break
        return found or [self]

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        if self.group_by is None:
            return dict(sorted(labels.items()))
        return {name: labels[name] for name in sorted(self.group_by) if labels.get(name)}

    def group_key(self, group_labels: Mapping[str, str]) -> str:
        """Alertmanager's `{route}:{labels}`; hashed when too long for the column."""
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(group_labels.items()))
        key = f"{self.path}:{{{inner}}}"
        if len(key) <= _MAX_KEY:
            return key
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"{key[: _MAX_KEY - 40]}…#{digest}"

    def summarises(self, cause: str) -> bool:
        """Whether the end of this mute (`silence:<id>`, `time:<names>`) sends the receiver a summary."""
        if self.mute_summary is not None:
            return self.mute_summary and cause.startswith(("silence:", "time:"))
        return cause.startswith("time:")

    def walk(self) -> list[Route]:
        return [self] + [r for child in self.routes for r in child.walk()]


def build_routes(config: Config) -> Route:
    root = config.route
    return _build(
        root,
        path="{}",
        parent=None,
        names=_Names(
            channels=receiver_channels(config),
            policies={r.name: r.escalation for r in config.receivers if r.escalation},
        ),
    )


def receiver_channels(config: Config) -> dict[str, tuple[str, ...]]:
    """Every name a `receiver` may be, with the channels it means: a configured receiver's (which wins), a
    channel's own name, or `default`, every channel. Any other name means none."""
    channels = tuple(c.name for c in config.channels)
    receivers = {r.name: tuple(r.channels) for r in config.receivers}
    return {ALL_CHANNELS: channels} | {c: (c,) for c in channels} | receivers


@dataclass(frozen=True, slots=True)
class _Names:
    """What every route resolves its receiver against: the channels each name means, receivers' policies."""

    channels: dict[str, tuple[str, ...]]
    policies: dict[str, str]


def _build(
    cfg: RouteConfig,
    *,
    path: str,
    parent: Route | None,
    names: _Names,
) -> Route:
    matchers = from_config(cfg.match, cfg.match_re, cfg.matchers) if parent is not None else Matchers()
    receiver = cfg.receiver or (parent.receiver if parent else ALL_CHANNELS)
    inherited_by = parent.group_by if parent else ()
    escalation_here = cfg.escalation or (parent.escalation_here if parent else None)
    route = Route(
        path=path,
        matchers=matchers,
        receiver=receiver,
        channels=names.channels.get(receiver, ()),
        group_by=_group_by(cfg.group_by) if cfg.group_by is not None else inherited_by,
        group_wait=_pick(cfg.group_wait, parent.group_wait if parent else DEFAULT_GROUP_WAIT),
        group_interval=_pick(cfg.group_interval, parent.group_interval if parent else DEFAULT_GROUP_INTERVAL),
        repeat_interval=_pick(cfg.repeat_interval, parent.repeat_interval if parent else DEFAULT_REPEAT_INTERVAL),
        continue_=cfg.continue_,
        mute_time_intervals=tuple(cfg.mute_time_intervals),
        active_time_intervals=tuple(cfg.active_time_intervals),
        routes=(),
        announce_resolved_while_muted=_announces(cfg, parent),
        mute_summary=cfg.mute_summary if cfg.mute_summary is not None else (parent.mute_summary if parent else None),
        silence_expiry_warning=_pick(
            cfg.silence_expiry_warning, parent.silence_expiry_warning if parent else DEFAULT_SILENCE_EXPIRY_WARNING
        ),
        escalation=escalation_here or names.policies.get(receiver),
        escalation_here=escalation_here,
    )
    children = tuple(
        _build(child, path=_child_path(path, child, i), parent=route, names=names) for i, child in enumerate(cfg.routes)
    )
    return replace(route, routes=children)


def _announces(cfg: RouteConfig, parent: Route | None) -> bool:
    if cfg.resolved_while_muted is not None:
        return cfg.resolved_while_muted == "notify"
    return parent.announce_resolved_while_muted if parent else True


def _child_path(parent: str, child: RouteConfig, index: int) -> str:
    path = f"{parent}/{from_config(child.match, child.match_re, child.matchers)}/{index}"
    if len(path) <= _MAX_PATH:
        return path
    # Deep trees with long regexes: a stable digest keeps the path inside its column.
    return f"#{hashlib.sha256(path.encode()).hexdigest()[:32]}"


def _group_by(names: list[str]) -> tuple[str, ...] | None:
    return None if "..." in names else tuple(names)


def _pick(value: timedelta | None, inherited: timedelta) -> timedelta:
    return inherited if value is None else value


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
