"""Pagination cursors are validated in full: a forged one (an id past 64 bits, a time without a zone or
outside UTC's range) is refused with the endpoint's bad-cursor answer, never a 500, while the cursors the
API gives out keep paging."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerthub.errors import InputError
from alerthub.services import notifications
from alerthub.store import alert_queries
from alerthub.store.types import sqlite_datetime_text
from support.clock import FakeClock

MAX_ID = 2**63 - 1


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


FORGED_ALERT_CURSORS = [
    "2026-11-27T09:00:00+00:00|18446744073709551616",  # 2**64
    f"2026-11-27T09:00:00+00:00|{MAX_ID + 1}",
    "2026-11-27T09:00:00+00:00|-1",
    "2026-11-27T09:00:00|5",  # no zone: compared with the stored times it raises
    "0001-01-01T00:00:00+05:00|5",  # before year 1 once in UTC
    "9999-12-31T23:00:00-05:00|5",  # after year 9999 once in UTC
    "2026-11-27T11:00:00+02:00|5",  # a time the API never writes
    "2026-11-27T09:00:00+00:00|5|6",
]


@pytest.mark.parametrize("text", FORGED_ALERT_CURSORS)
async def test_a_forged_alert_cursor_is_400(client: httpx.AsyncClient, text: str) -> None:
    await client.post("/api/v2/alerts", json=[{"labels": {"alertname": "A"}}])
    answer = await client.get("/api/alerts", params={"cursor": _cursor(text)})
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith("invalid cursor")
    assert [e["loc"] for e in answer.json()["errors"]] == ["query.cursor"]


FORGED_NOTIFICATION_CURSORS = ["0:18446744073709551616", f"0:{MAX_ID + 1}", f"{2**70}:1", "2:1", "-1:5", "0:-1"]


@pytest.mark.parametrize("text", FORGED_NOTIFICATION_CURSORS)
async def test_a_forged_notification_cursor_is_refused(client: httpx.AsyncClient, text: str) -> None:
    for failures_first in ("false", "true"):
        params = {"cursor": _cursor(text), "failures_first": failures_first}
        answer = await client.get("/api/notifications", params=params)
        # 422: what this endpoint has always answered for a cursor it did not give out.
        assert answer.status_code == 422, answer.text
        assert [e["loc"] for e in answer.json()["errors"]] == ["query.cursor"]


async def test_cursors_the_api_gives_out_still_page_with_microseconds(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    for i in range(5):
        clock.advance(0.123457)
        await client.post("/api/v2/alerts", json=[{"labels": {"alertname": f"A{i}"}}])
    names: list[str] = []
    cursor = None
    while True:
        body = (await client.get("/api/alerts", params={"limit": 2, **({"cursor": cursor} if cursor else {})})).json()
        names += [a["rule_name"] for a in body["alerts"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert names == ["A4", "A3", "A2", "A1", "A0"]


ZONES = st.sampled_from([None, UTC, timezone(timedelta(hours=5)), timezone(-timedelta(hours=5))])
TIMES = st.datetimes(timezones=ZONES).map(datetime.isoformat) | st.text(max_size=40)
IDS = st.integers().map(str) | st.text(max_size=25)


@given(st.text(max_size=60) | st.builds(lambda a, b: _cursor(f"{a}|{b}"), TIMES, IDS))
def test_an_alert_cursor_decodes_to_bindable_values_or_is_400(cursor: str) -> None:
    try:
        seen, alert_id = alert_queries.decode_cursor(cursor)
    except InputError as exc:
        assert exc.status == 400
        return
    assert 0 <= alert_id <= MAX_ID and seen.utcoffset() == timedelta(0)
    assert sqlite_datetime_text(seen)  # what the query binds it as; raised OverflowError before
    assert alert_queries.encode_cursor(seen, alert_id) == cursor.rstrip("=")


@given(st.text(max_size=40) | st.builds(lambda a, b: _cursor(f"{a}:{b}"), st.integers(), st.integers()))
def test_a_notification_cursor_decodes_to_a_rank_and_a_64_bit_id_or_is_refused(cursor: str) -> None:
    try:
        rank, row_id = notifications.decode_cursor(cursor)
    except InputError as exc:
        assert exc.status == 422 and exc.problems[0].location == "query.cursor"
        return
    assert rank in (0, 1) and 0 <= row_id <= MAX_ID


def test_every_cursor_the_api_writes_reads_back() -> None:
    seen = datetime(2026, 11, 27, 9, 0, 0, 123456, tzinfo=UTC)
    for alert_id in (0, 1, MAX_ID):
        assert alert_queries.decode_cursor(alert_queries.encode_cursor(seen, alert_id)) == (seen, alert_id)
    for rank in (0, 1):
        assert notifications.decode_cursor(notifications.encode_cursor(rank, MAX_ID)) == (rank, MAX_ID)
