import httpx
import pytest

from alerthub.config.models import Config


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {"rules": [{"name": "system_cpu_high", "for": "5m"}, {"name": "queue_depth", "thresholds": {"critical": 1000}}]}
    )


async def test_effective_rules_merge_builtins_and_config(client: httpx.AsyncClient) -> None:
    rules = {r["name"]: r for r in (await client.get("/api/rules")).json()["rules"]}
    assert rules["sentry_error_rate"]["thresholds"] == {"high": 10.0, "critical": 50.0}
    assert rules["sentry_error_rate"]["builtin"] is True
    assert rules["system_cpu_high"]["for"] == 300 and rules["system_cpu_high"]["thresholds"] == {"high": 80.0}
    assert rules["queue_depth"]["severity"] == "critical" and rules["queue_depth"]["builtin"] is False
    assert rules["hetrixtools_recovery"]["resolves"] == ["hetrixtools_downtime"]


async def test_configured_rule_is_accepted_by_ingest(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/api/alerts/send", json={"rule_name": "queue_depth", "metric_data": {"metric_value": 5000}}
    )
    assert answer.status_code == 202 and answer.json()["severity"] == "critical"
