"""Notes on an alert: `POST /api/alerts/{id}/comments` puts one in the alert's history (and so on its
page, escaped), says who wrote it, and refuses an empty note, an unknown key or an unknown alert clearly."""

from __future__ import annotations

import httpx

from alerthub.hub import Hub
from support.pipeline import fire


async def test_a_note_lands_in_the_history_and_on_the_page(hub: Hub, client: httpx.AsyncClient) -> None:
    alert_id = await fire(hub, "system_cpu_high", 97.0, host="web-1")
    answer = await client.post(
        f"/api/alerts/{alert_id}/comments", json={"text": "<script>x()</script> restarting", "by": "kim"}
    )
    assert answer.status_code == 201, answer.text
    note = answer.json()
    assert note["kind"] == "comment" and note["actor"] == "user:kim" and note["alert_id"] == alert_id
    history = (await client.get(f"/api/alerts/{alert_id}")).json()["history"]
    assert history[-1]["kind"] == "comment" and history[-1]["reason"] == "<script>x()</script> restarting"
    assert isinstance(note["id"], int) and history[-1]["id"] == note["id"]  # the answer is the entry stored
    page = (await client.get(f"/alerts/{alert_id}", headers={"Accept": "text/html"})).text
    assert "&lt;script&gt;x()&lt;/script&gt; restarting" in page and "<script>x()" not in page
    assert 'id="comment-form"' in page


async def test_bad_notes_are_refused_and_change_nothing(hub: Hub, client: httpx.AsyncClient) -> None:
    alert_id = await fire(hub, "system_cpu_high", 97.0, host="web-1")
    for body, where in (
        ({"text": "  "}, "body.text"),
        ({"text": "x", "colour": "red"}, "body.colour"),
        ({}, "body.text"),
    ):
        answer = await client.post(f"/api/alerts/{alert_id}/comments", json=body)
        assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == where, answer.text
    missing = await client.post("/api/alerts/999999/comments", json={"text": "hello"})
    assert missing.status_code == 404 and "no alert with id 999999" in missing.json()["detail"]
    history = (await client.get(f"/api/alerts/{alert_id}")).json()["history"]
    assert not [e for e in history if e["kind"] == "comment"]
