"""A recurring silence, as an on-call team sets one for a weekly maintenance (every Sunday 02:00-04:00 in
Seoul): it mutes inside each occurrence only, says "until" the occurrence's end, shows Alertmanager's
clients the current or next occurrence, and refuses a rule it cannot keep at the field that is wrong."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock
from support.pipeline import fire

# The fake clock starts on Friday 2026-11-27 09:00 UTC (18:00 in Seoul).
SUNDAYS = {
    "matchers": [{"name": "service", "value": "db", "isRegex": False}],
    "startsAt": "2026-11-29T02:00:00+09:00",
    "endsAt": "2027-06-01T00:00:00Z",
    "createdBy": "kim",
    "comment": "weekly database maintenance",
    "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=SU", "duration": "2h", "timeZone": "Asia/Seoul"},
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "channels": [{"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"}],
            "route": {"group_wait": "0s", "group_by": ["host"]},
            "rules": [{"name": "disk_full", "thresholds": {"critical": 90}}],
        }
    )


async def muted(client: httpx.AsyncClient, alert_id: int) -> Any:
    return (await client.get(f"/api/alerts/{alert_id}")).json()["muted"]


async def test_it_mutes_inside_each_occurrence_only(hub: Hub, clock: FakeClock, client: httpx.AsyncClient) -> None:
    created = await client.post("/api/silences", json=SUNDAYS)
    assert created.status_code == 200, created.text
    silence = created.json()["silence"]
    assert silence["status"]["state"] == "pending"
    assert silence["recurrence"] == {
        "rrule": "FREQ=WEEKLY;BYDAY=SU",
        "duration": "2h",
        "timeZone": "Asia/Seoul",
        "occurrence": {"startsAt": "2026-11-28T17:00:00Z", "endsAt": "2026-11-28T19:00:00Z"},
    }
    friday = await fire(hub, "disk_full", 97.0, host="db-1", service="db")
    assert await muted(client, friday) is None

    clock.advance(hours=32, minutes=30)  # Sunday 02:30 in Seoul
    sunday = await fire(hub, "disk_full", 97.0, host="db-2", service="db")
    held = await muted(client, sunday)
    assert held["silenced_by"][0]["ends_at"] == "2026-11-28T19:00:00Z"  # until 04:00, not next June
    [am] = (await client.get("/api/v2/silences")).json()
    assert am["status"]["state"] == "active"  # amtool sees the occurrence in force
    assert am["startsAt"].startswith("2026-11-28T17:00:00") and am["endsAt"].startswith("2026-11-28T19:00:00")
    assert "recurrence" not in am  # Alertmanager's own shape

    clock.advance(hours=2)  # 04:30: the occurrence is over
    assert await muted(client, sunday) is None
    [am] = (await client.get("/api/v2/silences")).json()
    assert am["status"]["state"] == "pending" and am["startsAt"].startswith("2026-12-05T17:00:00")
    clock.advance(days=7)  # the next Sunday, 04:30 again: between occurrences
    assert await muted(client, sunday) is None
    clock.advance(hours=-2)  # 02:30 that Sunday
    assert (await muted(client, sunday))["silenced_by"][0]["ends_at"] == "2026-12-05T19:00:00Z"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"rrule": "FREQ=MINUTELY"}, "body.recurrence.rrule"),
        ({"rrule": "every sunday"}, "body.recurrence.rrule"),
        ({"timeZone": "Asia/Soul"}, "body.recurrence.timeZone"),
        ({"duration": "8d"}, "body.recurrence.duration"),
        ({"duration": "soon"}, "body.recurrence.duration"),
        ({"rrule": "FREQ=WEEKLY;COUNT=1", "startsAt": "2026-11-01T02:00:00+09:00"}, "body.recurrence.rrule"),
        ({"colour": "red"}, "body.recurrence.colour"),
    ],
)
async def test_a_rule_it_cannot_keep_is_refused_at_its_field(
    client: httpx.AsyncClient, change: dict[str, Any], where: str
) -> None:
    body = {**SUNDAYS, "recurrence": {**SUNDAYS["recurrence"], **change}}
    if "startsAt" in change:
        body["startsAt"] = change["startsAt"]
        del body["recurrence"]["startsAt"]
    answer = await client.post("/api/silences", json=body)
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == [where]
    assert (await client.get("/api/silences")).json()["silences"] == []
