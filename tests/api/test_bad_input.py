"""Every input path answers bad input with a clear 4xx and stores nothing."""

from __future__ import annotations

import httpx
import pytest

from alerthub.hub import Hub
from alerthub.store import alerts as alert_store

INGEST = ["/api/alerts/send", "/api/v2/alerts", "/v2/enqueue", "/webhooks/alertmanager"]


async def stored(hub: Hub) -> dict[str, int]:
    async with hub.db.read() as conn:
        return await alert_store.count_by_state(conn)


@pytest.mark.parametrize("path", INGEST)
@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"rule_name": ', "application/json", 400),
        (b"", "application/json", 400),
        (b'{"a": NaN}', "application/json", 400),
        (b'{"a": Infinity}', "application/json", 400),
        (b'{"a": 1e999}', "application/json", 400),
        (b"rule_name=x", "application/x-www-form-urlencoded", 415),
        (b'{"a": 1}', "text/plain", 415),
        (b"\xff\xfe", "application/json", 400),
    ],
)
async def test_malformed_and_wrong_type(
    client: httpx.AsyncClient, hub: Hub, path: str, body: bytes, content_type: str, status: int
) -> None:
    answer = await client.post(path, content=body, headers={"content-type": content_type})
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"] if path != "/v2/enqueue" else answer.json()["message"]
    assert await stored(hub) == {}


@pytest.mark.parametrize("path", INGEST)
async def test_body_over_one_mebibyte_is_413(client: httpx.AsyncClient, hub: Hub, path: str) -> None:
    big = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    answer = await client.post(path, content=big, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert await stored(hub) == {}


async def test_unknown_rule_lists_known_rules(client: httpx.AsyncClient, hub: Hub) -> None:
    answer = await client.post("/api/alerts/send", json={"rule_name": "nope", "metric_data": {"metric_value": 1}})
    assert answer.status_code == 422
    body = answer.json()
    assert "sentry_error_rate" in body["known_rules"] and "nope" in body["detail"]
    assert await stored(hub) == {}


async def test_one_bad_alert_rejects_the_whole_batch(client: httpx.AsyncClient, hub: Hub) -> None:
    batch = [{"labels": {"alertname": f"A{i}"}} for i in range(5)] + [
        {"labels": {"alertname": "B"}, "startsAt": "never"}
    ]
    answer = await client.post("/api/v2/alerts", json=batch)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == "body[5].startsAt"
    assert await stored(hub) == {}


async def test_too_many_labels_is_rejected_not_truncated(client: httpx.AsyncClient, hub: Hub) -> None:
    labels = {"alertname": "Wide", **{f"l{i}": "v" for i in range(80)}}
    answer = await client.post("/api/v2/alerts", json=[{"labels": labels}])
    assert answer.status_code == 422 and "at most 64 labels" in answer.text
    assert await stored(hub) == {}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/alerts/999999", 404),
        ("GET", "/api/alerts/abc", 422),
        ("POST", "/api/alerts/999999/ack", 404),
        ("GET", "/api/alerts?state=melting", 422),
        ("GET", "/api/alerts?limit=0", 422),
        ("GET", "/api/alerts?cursor=%%%", 400),
        ("GET", "/api/alerts?label=nocolon", 422),
        ("GET", "/api/alerts?since=yesterday", 422),
        ("GET", "/nowhere", 404),
    ],
)
async def test_query_and_lookup_errors(client: httpx.AsyncClient, method: str, path: str, status: int) -> None:
    answer = await client.request(method, path)
    assert answer.status_code == status, answer.text
    assert "detail" in answer.json()


async def test_a_nul_in_any_text_is_kept_as_a_replacement_character(client: httpx.AsyncClient, hub: Hub) -> None:
    # PostgreSQL cannot store U+0000; refusing the body would drop the other alerts sent with it.
    batch = [{"labels": {"alertname": "Nul", "job": "a\u0000b"}, "annotations": {"summary": "x\u0000"}},
             {"labels": {"alertname": "Plain"}}]  # fmt: skip
    assert (await client.post("/api/v2/alerts", json=batch)).status_code == 200
    seed = {
        "rule_name": "sentry_error_rate",
        "metric_data": {"metric_value": 100, "additional_info": "23 errors\u0000", "sentry_data": {"n": "\u0000"}},
    }
    assert (await client.post("/api/alerts/send", json=seed)).status_code == 202
    listed = (await client.get("/api/alerts", params={"limit": 10})).json()["alerts"]
    by_name = {a["labels"].get("alertname", a["rule_name"]): a for a in listed}
    assert by_name["Nul"]["labels"]["job"] == "a\ufffdb" and by_name["Nul"]["annotations"]["summary"] == "x\ufffd"
    assert "Plain" in by_name
    assert by_name["sentry_error_rate"]["annotations"]["summary"] == "23 errors\ufffd"
    assert not any("\u0000" in str(a) for a in listed)


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/api/alerts?label=team:%00", "query"),
        ("/api/alerts?rule=%00", "query"),
        ("/api/notifications?channel=%00", "query"),
        ("/?q=%00", "query"),
        ("/api/silences/%00", "path"),
        ("/api/v2/silence/%00", "path"),
    ],
)
async def test_a_nul_in_a_lookup_is_refused_saying_where(client: httpx.AsyncClient, path: str, where: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"] == [{"loc": where, "msg": "holds U+0000 (NUL), which no name or value here may"}]
