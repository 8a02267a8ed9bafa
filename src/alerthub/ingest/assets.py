"""Assets: the label `asset=<name>` on every alert that matches an asset's matchers, so that a site's
uptime check, its host's metrics and its Sentry project — three label sets from three sources — can be
routed, silenced and inhibited (`equal: [asset]`) as one thing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerthub.config.assets import AssetConfig
from alerthub.pipeline.matchers import Matchers, from_config

ASSET_LABEL = "asset"


@dataclass(frozen=True, slots=True)
class AssetTagger:
    # Each asset with its matcher strings; an alert is the asset's when any one string matches it whole.
    assets: tuple[tuple[str, tuple[Matchers, ...]], ...] = ()

    @classmethod
    def from_config(cls, assets: Sequence[AssetConfig]) -> AssetTagger:
        """Raises MatcherError on a bad matcher string (check-config reports them with their location)."""
        return cls(tuple((a.name, tuple(from_config(matchers=[m]) for m in a.matchers)) for a in assets))

    def __bool__(self) -> bool:
        return bool(self.assets)

    def asset_of(self, rule_name: str, labels: Mapping[str, str]) -> str | None:
        """The first asset with a matcher string that matches the labels and `alertname`; None when
        none does or the sender named the asset itself."""
        if ASSET_LABEL in labels:
            return None
        seen = {**labels, "alertname": rule_name}
        return next((name for name, any_of in self.assets if any(m.matches(seen) for m in any_of)), None)
