"""Assets: every alert matching an asset's matchers carries `asset=<name>`, whatever source sent it, so
one site's uptime check, host metrics and Sentry project can be routed, silenced and inhibited as one."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.errors import ConfigError
from alerthub.hub import Hub, check_config, load_config
from support.pipeline import fire
from support.webhooks import FIXTURES

CONFIG: dict[str, Any] = {
    "rules": [{"name": "api_down", "severity": "critical"}],
    "assets": [
        {"name": "shop", "matchers": ['service="Shop API"', 'project="shop-frontend"']},  # either one
        {"name": "billing", "matchers": 'service="billing", env="prod"'},  # both
    ],
}


@pytest.fixture
def config(request: pytest.FixtureRequest) -> Config:
    data = getattr(request, "param", CONFIG)
    return Config.model_validate(data)


async def labels_of(hub: Hub, alert_id: int) -> dict[str, str]:
    detail = await hub.alerts.trace(alert_id)
    return dict(detail.alert.labels)


async def test_the_seeds_payloads_of_one_site_carry_its_asset(hub: Hub, client: httpx.AsyncClient) -> None:
    ids = []
    for name in ("hetrixtools_downtime", "sentry_webhook_error_rate"):
        body = json.loads((FIXTURES / "seed" / f"{name}.json").read_text())
        answer = await client.post("/api/alerts/send", json=body)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["alert_id"])
    assert [(await labels_of(hub, i)).get("asset") for i in ids] == ["shop", "shop"]


async def test_an_alert_matching_no_asset_has_no_asset_label(hub: Hub) -> None:
    alert_id = await fire(hub, "api_down", service="billing", env="staging")
    assert "asset" not in await labels_of(hub, alert_id)
    alert_id = await fire(hub, "api_down", service="billing", env="prod")
    assert (await labels_of(hub, alert_id))["asset"] == "billing"


async def test_the_senders_own_asset_label_wins(hub: Hub) -> None:
    alert_id = await fire(hub, "api_down", service="Shop API", asset="checkout")
    assert (await labels_of(hub, alert_id))["asset"] == "checkout"


@pytest.mark.parametrize("config", [{"rules": CONFIG["rules"]}], indirect=True)
async def test_an_asset_never_changes_an_alerts_identity(hub: Hub, config: Config) -> None:
    """Adding an asset to a running hub must not split an open alert into a second one."""
    before = await fire(hub, "api_down", service="Shop API")
    with_assets = Config.model_validate(CONFIG)
    from alerthub.ingest.assets import AssetTagger

    hub.ingest.assets = AssetTagger.from_config(with_assets.assets)
    again = await fire(hub, "api_down", service="Shop API")
    assert again == before


def test_a_bad_matcher_or_an_unknown_asset_is_named_with_its_location() -> None:
    config = Config.model_validate(
        {
            "assets": [{"name": "shop", "matchers": ['service=~"("']}, {"name": "shop", "matchers": "a=b"}],
            "dependencies": [{"asset": "shopp", "cause": 'alertname="a"', "suppress": "no matcher here"}],
        }
    )
    where = {p.location for p in check_config(config)}
    assert {"assets", "assets[0].matchers[0]", "dependencies[0].asset", "dependencies[0].suppress[0]"} <= where


def test_an_asset_needs_matchers(tmp_path: Any) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text("assets:\n  - name: shop\n    matchers: []\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert any(p.location.startswith("assets[0].matchers") for p in caught.value.problems)
