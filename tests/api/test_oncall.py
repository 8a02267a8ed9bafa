"""On call over HTTP: who is on call per schedule (now, or `?at=`), overrides set, listed and removed
(stored: another instance on the same database sees them), the calendar feed read back by a real
iCalendar parser, bad input refused with its location and nothing stored, and the scopes that may
read and write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import icalendar
import pytest

from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.hub import Hub, build_hub
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope
from alerthub.store.database import Database
from support.clock import FakeClock

# The fake clock starts on Friday 2026-11-27 at 09:00 UTC.
CONFIG: dict[str, Any] = {
    "people": [{"name": "alice"}, {"name": "bob"}, {"name": "김민준", "time_zone": "Asia/Seoul"}],
    "schedules": [
        {
            "name": "primary",
            "time_zone": "Europe/Berlin",
            "rotation": {"every": "1w", "handoff": "2026-11-23T09:00:00+01:00", "people": ["alice", "bob"]},
        },
        {
            "name": "secondary",
            "time_zone": "Asia/Seoul",
            "rotation": {"every": "1d", "handoff": "2026-11-23T09:00:00+09:00", "people": ["bob", "김민준"]},
        },
    ],
}
COVER = {"person": "김민준", "start": "2026-11-27T12:00:00Z", "end": "2026-11-28T12:00:00+09:00"}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def auth_of(client: httpx.AsyncClient) -> AuthService:
    service: AuthService = client._transport.app.state.auth  # type: ignore[attr-defined]
    return service


async def test_who_is_on_call_now_until_when_and_next(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/oncall")
    assert answer.status_code == 200
    assert answer.json() == [
        {"schedule": "primary", "on_call": ["alice"], "until": "2026-11-30T08:00:00Z", "next": ["bob"]},
        {"schedule": "secondary", "on_call": ["bob"], "until": "2026-11-28T00:00:00Z", "next": ["김민준"]},
    ]
    later = (await client.get("/api/oncall", params={"at": "2026-12-01T10:00:00+01:00"})).json()
    assert later[0] == {"schedule": "primary", "on_call": ["bob"], "until": "2026-12-07T08:00:00Z", "next": ["alice"]}


@pytest.mark.parametrize("at", ["tomorrow", "2026-12-01T10:00:00", "0001-01-01T00:00:00+05:00", "9500-01-01T00:00:00Z"])
async def test_a_bad_instant_is_a_422_naming_at(client: httpx.AsyncClient, at: str) -> None:
    answer = await client.get("/api/oncall", params={"at": at})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"].startswith("query.at")


async def test_an_override_is_set_listed_applied_and_removed(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/schedules/primary/overrides", json=COVER | {"created_by": "alice"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body | {"id": 0, "created_at": ""} == {
        "id": 0,
        "schedule": "primary",
        "person": "김민준",
        "start": "2026-11-27T12:00:00Z",
        "end": "2026-11-28T03:00:00Z",
        "created_by": "alice",
        "created_at": "",
    }
    listed = (await client.get("/api/schedules/primary/overrides")).json()["overrides"]
    assert [o["id"] for o in listed] == [body["id"]]
    assert (await client.get("/api/schedules/secondary/overrides")).json()["overrides"] == []
    during = (await client.get("/api/oncall", params={"at": "2026-11-27T13:00:00Z"})).json()[0]
    assert during == {"schedule": "primary", "on_call": ["김민준"], "until": "2026-11-28T03:00:00Z", "next": ["alice"]}
    now = (await client.get("/api/oncall")).json()[0]
    assert now["until"] == "2026-11-27T12:00:00Z" and now["next"] == ["김민준"]

    removed = await client.delete(f"/api/schedules/primary/overrides/{body['id']}")
    assert removed.status_code == 200 and removed.json()["person"] == "김민준"
    assert (await client.get("/api/schedules/primary/overrides")).json()["overrides"] == []
    again = await client.delete(f"/api/schedules/primary/overrides/{body['id']}")
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (COVER | {"person": "carol"}, "body.person"),
        (COVER | {"end": "2026-11-27T11:00:00Z"}, "body.end"),
        (COVER | {"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"}, "body.end"),
        (COVER | {"start": "2026-11-27T12:00:00"}, "body.start"),
        (COVER | {"end": "0001-01-01T00:00:00+05:00"}, "body.end"),
        (COVER | {"end": "next week"}, "body.end"),
        (COVER | {"persn": "bob"}, "body.persn"),
        ({"start": COVER["start"], "end": COVER["end"]}, "body.person"),
        ([COVER], "body"),
    ],
)
async def test_a_bad_override_is_refused_with_its_location_and_nothing_is_stored(
    client: httpx.AsyncClient, body: Any, where: str
) -> None:
    answer = await client.post("/api/schedules/primary/overrides", json=body)
    assert answer.status_code == 422, answer.text
    assert where in [e["loc"] for e in answer.json()["errors"]], answer.json()
    assert (await client.get("/api/schedules/primary/overrides")).json()["overrides"] == []


async def test_unknown_schedules_and_malformed_bodies(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("POST", "/api/schedules/nightly/overrides"),
        ("GET", "/api/schedules/nightly/overrides"),
        ("DELETE", "/api/schedules/nightly/overrides/1"),
        ("GET", "/api/schedules/nightly.ics"),
    ]:
        answer = await client.request(method, path, json=COVER if method == "POST" else None)
        assert answer.status_code == 404, path
        assert "primary, secondary" in answer.json()["detail"]
    bad = await client.post(
        "/api/schedules/primary/overrides", content=b'{"person": ', headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert (await client.delete("/api/schedules/primary/overrides/0")).status_code == 422


async def test_the_calendar_feed_has_one_event_per_shift_with_overrides_applied(client: httpx.AsyncClient) -> None:
    await client.post("/api/schedules/secondary/overrides", json=COVER)
    answer = await client.get("/api/schedules/secondary.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.content.count(b"\r\n") == answer.content.count(b"\n")
    events = icalendar.Calendar.from_ical(answer.text).walk("VEVENT")
    shifts = [(e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"])) for e in events]
    assert (utc(27, 0), utc(27, 12), "bob") in shifts
    assert (utc(27, 12), utc(28, 3), "김민준 (override)") in shifts
    assert (utc(28, 3), utc(29, 0), "김민준") in shifts
    assert shifts[0][0] == datetime(2026, 11, 23, 0, tzinfo=UTC), "the first handoff: nobody before it"
    assert shifts[-1][1] == datetime(2027, 1, 22, 9, tzinfo=UTC), "eight weeks ahead"
    assert all(a[1] == b[0] for a, b in zip(shifts, shifts[1:], strict=False))


async def test_reading_takes_read_writing_takes_admin(client: httpx.AsyncClient) -> None:
    auth = auth_of(client)
    reader = {"Authorization": f"Bearer {await auth.create_token('viewer', Scope.READ)}"}
    admin = {"Authorization": f"Bearer {await auth.create_token('ops', Scope.ADMIN)}"}
    assert (await client.get("/api/oncall")).status_code == 401
    for path in ("/api/oncall", "/api/schedules/primary/overrides", "/api/schedules/primary.ics"):
        assert (await client.get(path, headers=reader)).status_code == 200, path
    refused = await client.post("/api/schedules/primary/overrides", json=COVER, headers=reader)
    assert refused.status_code == 403
    created = await client.post("/api/schedules/primary/overrides", json=COVER | {"created_by": "x"}, headers=admin)
    assert created.status_code == 201 and created.json()["created_by"] == "ops", "the token, not the body, says who"
    path = f"/api/schedules/primary/overrides/{created.json()['id']}"
    assert (await client.delete(path, headers=reader)).status_code == 403
    assert (await client.delete(path, headers=admin)).status_code == 200


@pytest.fixture
async def second_instance(config: Config, clock: FakeClock, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    other: Hub = build_hub(config, clock=clock, db=Database(db.url))
    app = create_app(other, migrate=False, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://other.test") as http:
        yield http
    await other.db.dispose()


async def test_another_instance_on_the_same_database_sees_the_override(
    client: httpx.AsyncClient, second_instance: httpx.AsyncClient
) -> None:
    created = (await client.post("/api/schedules/primary/overrides", json=COVER)).json()
    seen = (await second_instance.get("/api/oncall", params={"at": "2026-11-27T13:00:00Z"})).json()[0]
    assert seen["on_call"] == ["김민준"]
    assert (await second_instance.delete(f"/api/schedules/primary/overrides/{created['id']}")).status_code == 200
    assert (await client.get("/api/schedules/primary/overrides")).json()["overrides"] == []


async def test_a_calendar_app_subscribes_with_a_read_token_in_the_url(client: httpx.AsyncClient) -> None:
    auth = auth_of(client)
    reader = await auth.create_token("calendar", Scope.READ)
    admin = await auth.create_token("ops", Scope.ADMIN)
    feed = await client.get("/api/schedules/primary.ics", params={"token": reader})
    assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR\r\n")
    assert (await client.get("/api/schedules/primary.ics")).status_code == 401
    assert (await client.get("/api/schedules/primary.ics", params={"token": "ah_nope"})).status_code == 401
    refused = await client.get("/api/schedules/primary.ics", params={"token": admin})
    assert refused.status_code == 403 and "read scope" in refused.json()["detail"]
    # Only the feed takes a token in its URL: everything else wants the header.
    assert (await client.get("/api/oncall", params={"token": reader})).status_code == 401
    assert (await client.get("/api/schedules/primary/overrides", params={"token": reader})).status_code == 401
