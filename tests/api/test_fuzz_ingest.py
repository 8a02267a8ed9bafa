"""Property: whatever JSON arrives at an ingest endpoint, the answer is 2xx or a clean 4xx, and a
4xx leaves the store exactly as it was."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerthub.hub import Hub
from alerthub.store import alerts as alert_store

INGEST = ("/api/alerts/send", "/api/v2/alerts", "/v2/enqueue", "/webhooks/alertmanager")

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)

# Bodies that are close to valid hit the deeper validation paths, not just the first type check.
near_seed = st.fixed_dictionaries(
    {
        "rule_name": st.sampled_from(["sentry_error_rate", "system_cpu_high", "hetrixtools_recovery", "nope"])
        | scalars,
        "metric_data": st.fixed_dictionaries(
            {"metric_value": scalars},
            optional={"additional_info": scalars, "sentry_data": json_values, "hetrixtools_data": json_values},
        )
        | json_values,
    },
    optional={"labels": json_values, "severity": scalars, "status": scalars},
)
near_alertmanager = st.lists(
    st.fixed_dictionaries(
        {"labels": st.dictionaries(st.sampled_from(["alertname", "severity", "x"]), scalars | st.text(), max_size=3)},
        optional={"startsAt": scalars, "endsAt": scalars, "annotations": json_values},
    ),
    max_size=3,
)
near_pagerduty = st.fixed_dictionaries(
    {"routing_key": scalars, "event_action": st.sampled_from(["trigger", "acknowledge", "resolve", "x"])},
    optional={
        "dedup_key": scalars,
        "payload": json_values | st.fixed_dictionaries({"summary": scalars, "source": scalars, "severity": scalars}),
    },
)
bodies = json_values | near_seed | near_alertmanager | near_pagerduty


async def snapshot(hub: Hub) -> dict[str, int]:
    async with hub.db.read() as conn:
        return await alert_store.count_by_state(conn)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(INGEST), body=bodies)
async def test_any_json_gets_2xx_or_clean_4xx(client: httpx.AsyncClient, hub: Hub, path: str, body: Any) -> None:
    before = await snapshot(hub)
    answer = await client.post(path, json=body)
    assert answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    if answer.status_code >= 400:
        assert answer.status_code in (400, 413, 415, 422)
        assert await snapshot(hub) == before
