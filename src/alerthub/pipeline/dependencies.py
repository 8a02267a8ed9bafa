"""`dependencies[]` as the inhibit rules they stand for: while the asset's cause fires, its alerts
matching `suppress` are muted. Muting holds back pages only; a suppressed alert that paged before still
announces its resolution (`resolved_while_muted`, default notify).

The cause's own messages name what it holds back ("also affected"): read when the message is queued,
from the open alerts of the asset, so the list does not wait for the symptoms' groups to flush."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.config.assets import DependencyConfig
from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.labels import where_label
from alerthub.domain.notification import AlertSnapshot
from alerthub.pipeline.inhibit import InhibitRule
from alerthub.pipeline.matchers import Matcher, Matchers, MatchType, alert_labels, from_config
from alerthub.store.open_alerts import open_alerts_labelled
from alerthub.store.outbox import NewNotification

ASSET_LABEL = "asset"


@dataclass(frozen=True, slots=True)
class Dependency:
    asset: str
    rules: tuple[InhibitRule, ...]  # one per cause string and suppress string


def build_dependencies(configs: Sequence[DependencyConfig]) -> tuple[Dependency, ...]:
    return tuple(
        Dependency(d.asset, tuple(_rule(d.asset, cause, target) for cause in d.cause for target in d.suppress))
        for d in configs
    )


def dependency_rules(dependencies: Sequence[Dependency]) -> tuple[InhibitRule, ...]:
    return tuple(rule for d in dependencies for rule in d.rules)


def _rule(asset: str, cause: str, suppress: str) -> InhibitRule:
    same_asset = Matcher.of(ASSET_LABEL, MatchType.EQUAL, asset)
    return InhibitRule(
        source=Matchers((*from_config(matchers=[cause]).items, same_asset)),
        target=Matchers((*from_config(matchers=[suppress]).items, same_asset)),
        equal=(ASSET_LABEL,),
    )


async def name_the_affected(
    conn: AsyncConnection, dependencies: Sequence[Dependency], rows: list[NewNotification]
) -> list[NewNotification]:
    """The rows with each firing cause's snapshot listing the open alerts its dependency holds back."""
    causes = {a.id: d for row in rows for a in row.payload.alerts for d in dependencies if _causes(d, a)}
    if not causes:
        return rows
    assets = sorted({d.asset for d in causes.values()})
    candidates = await open_alerts_labelled(conn, ASSET_LABEL, assets)
    affected = {cause: _held_back(d, cause, candidates) for cause, d in causes.items()}
    return [_with_affected(row, affected) for row in rows]


def _causes(dependency: Dependency, a: AlertSnapshot) -> bool:
    if a.state != AlertState.FIRING.value:
        return False
    labels = alert_labels(a.labels, a.rule_name, a.severity)
    return any(rule.source.matches(labels) for rule in dependency.rules)


def _held_back(dependency: Dependency, cause: int, candidates: Sequence[Alert]) -> tuple[str, ...]:
    out = []
    for a in candidates:
        labels = alert_labels(a.labels, a.rule_name, a.severity.value)
        if a.id != cause and any(r.target.matches(labels) and not r.source.matches(labels) for r in dependency.rules):
            where = where_label(a.labels)
            out.append(f"{a.rule_name} — {where}" if where else a.rule_name)
    return tuple(out)


def _with_affected(row: NewNotification, affected: dict[int, tuple[str, ...]]) -> NewNotification:
    if not any(affected.get(a.id) for a in row.payload.alerts):
        return row
    alerts = tuple(replace(a, also_affected=affected[a.id]) if affected.get(a.id) else a for a in row.payload.alerts)
    return replace(row, payload=replace(row.payload, alerts=alerts))
