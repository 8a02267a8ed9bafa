import httpx


async def test_seed_body_fires_and_lists(client: httpx.AsyncClient) -> None:
    body = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 95.5, "additional_info": "mem"}}
    answer = await client.post("/api/alerts/send", json=body)
    assert answer.status_code == 202, answer.text
    assert answer.json()["state"] == "firing"
    listed = (await client.get("/api/alerts")).json()["alerts"]
    assert [a["rule_name"] for a in listed] == ["system_memory_high"]
