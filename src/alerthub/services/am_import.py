"""An Alertmanager configuration (alertmanager.yml) → an alerthub configuration, and a note for every
thing that could not be carried, naming where it was (`receiver 'team-X' slack_configs[0]: ...`).

`route`, `inhibit_rules` and the time intervals keep Alertmanager's keys (alerthub's configuration reads
them as Alertmanager does). Each receiver becomes an alerthub receiver whose channels are made from its
integrations (am_import_channels.py), named `<receiver>-<integration>-<index>`. Pure: no file, no network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from alerthub.services.am_import_channels import CONVERTERS, SEND_RESOLVED, Integration

ROUTE_KEYS = frozenset(
    {"receiver", "group_by", "group_wait", "group_interval", "repeat_interval", "match", "match_re", "matchers",
     "continue", "mute_time_intervals", "active_time_intervals", "routes"}
)  # fmt: skip
INHIBIT_KEYS = frozenset(
    {"source_match", "source_match_re", "source_matchers", "target_match", "target_match_re", "target_matchers",
     "equal"}
)  # fmt: skip
# `global` keys the channel converters read; any other global setting is noted.
GLOBAL_KEYS = frozenset(
    {"smtp_smarthost", "smtp_from", "smtp_auth_username", "smtp_auth_password", "smtp_auth_password_file",
     "smtp_require_tls", "slack_api_url", "slack_api_url_file", "telegram_api_url", "pagerduty_url"}
)  # fmt: skip
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class AlertmanagerConfigError(ValueError):
    """The file is not an Alertmanager configuration at all (not YAML, not a mapping)."""


@dataclass(frozen=True, slots=True)
class Note:
    """Something not carried over. `receiver` is empty for a top-level section."""

    where: str  # `slack_configs[0]`, `templates`, `route.routes[1]`
    message: str
    receiver: str = ""

    def __str__(self) -> str:
        head = f"receiver {self.receiver!r} {self.where}" if self.receiver else self.where
        return f"{head}: {self.message}"


@dataclass
class Imported:
    config: dict[str, Any]
    notes: list[Note] = field(default_factory=list)

    def yaml(self) -> str:
        return yaml.safe_dump(self.config, sort_keys=False, allow_unicode=True, default_flow_style=False)


def parse(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AlertmanagerConfigError(f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise AlertmanagerConfigError("the top level must be a mapping (global, route, receivers, ...)")
    return data


def convert(am: Mapping[str, Any]) -> Imported:
    out = Imported({})
    global_ = dict(_mapping(am.get("global") or {}, "global"))
    for key in sorted(set(global_) - GLOBAL_KEYS):
        out.notes.append(Note(f"global.{key}", "not carried"))
    channels, receivers = _receivers(_list(am.get("receivers"), "receivers"), global_, out.notes)
    out.config["channels"] = channels
    out.config["receivers"] = receivers
    if am.get("route"):
        out.config["route"] = _route(_mapping(am["route"], "route"), "route", out.notes)
    inhibit = [
        _only(_mapping(r, f"inhibit_rules[{i}]"), INHIBIT_KEYS, f"inhibit_rules[{i}]", out.notes)
        for i, r in enumerate(_list(am.get("inhibit_rules"), "inhibit_rules"))
    ]
    if inhibit:
        out.config["inhibit_rules"] = inhibit
    intervals = _list(am.get("time_intervals"), "time_intervals") + _list(
        am.get("mute_time_intervals"), "mute_time_intervals"
    )
    if intervals:
        out.config["time_intervals"] = intervals
    for key in am:
        if key not in ("global", "route", "receivers", "inhibit_rules", "time_intervals", "mute_time_intervals"):
            why = "Go templates are not carried (alerthub renders its own messages)" if key == "templates" else ""
            out.notes.append(Note(key, why or "not carried"))
    return out


def _receivers(
    items: list[Any], global_: Mapping[str, Any], notes: list[Note]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    channels: list[dict[str, Any]] = []
    receivers: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index, item in enumerate(items):
        name = _mapping(item, f"receivers[{index}]").get("name")
        if not name:
            notes.append(Note(f"receivers[{index}]", "no name: not carried"))
            continue
        made: list[str] = []
        for key, configs in item.items():
            if key == "name":
                continue
            kind = key.removesuffix("_configs")
            if kind not in CONVERTERS or not key.endswith("_configs"):
                notes.append(Note(key, _unreachable(kind), str(name)))
                continue
            for i, settings in enumerate(_list(configs, f"receivers[{index}].{key}")):
                settings = _mapping(settings or {}, f"receivers[{index}].{key}[{i}]")
                channel = _channel(Integration(str(name), kind, i, settings, global_), notes, taken)
                if channel is not None:
                    channels.append(channel)
                    made.append(channel["name"])
        receivers.append({"name": str(name), "channels": made})
    return channels, receivers


def _channel(i: Integration, notes: list[Note], taken: set[str]) -> dict[str, Any] | None:
    made = CONVERTERS[i.kind](i)
    notes += [Note(i.where, message, i.receiver) for message in i.notes]
    if made is None:
        return None
    name = _unique(f"{_UNSAFE.sub('-', i.receiver).strip('-') or 'receiver'}-{i.kind}-{i.index}"[:100], taken)
    resolved = i.settings.get("send_resolved", SEND_RESOLVED.get(i.kind, True))
    return {"name": name, **made, "send_resolved": bool(resolved)}


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name[:95]}-{n}"
    taken.add(candidate)
    return candidate


def _unreachable(kind: str) -> str:
    return (
        f"no alerthub channel for Alertmanager's {kind!r} integration: not carried; if Apprise reaches the "
        "service, add an `apprise` channel with its Apprise URL to this receiver"
    )


def _route(route: Mapping[str, Any], where: str, notes: list[Note]) -> dict[str, Any]:
    out = _only(route, ROUTE_KEYS - {"routes"}, where, notes, also=("routes",))
    children = _list(route.get("routes"), f"{where}.routes")
    if children:
        out["routes"] = [
            _route(_mapping(child, f"{where}.routes[{i}]"), f"{where}.routes[{i}]", notes)
            for i, child in enumerate(children)
        ]
    return out


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise AlertmanagerConfigError(f"{where}: must be a mapping")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise AlertmanagerConfigError(f"{where}: must be a list")
    return value


def _only(
    section: Mapping[str, Any], keys: frozenset[str], where: str, notes: list[Note], also: tuple[str, ...] = ()
) -> dict[str, Any]:
    for key in section:
        if key not in keys and key not in also:
            notes.append(Note(f"{where}.{key}", "not carried"))
    return {k: v for k, v in section.items() if k in keys}
