"""Alertmanager's silence list and body as amtool and Grafana use them: `filter` matchers compared as
written (api/v2/api.go `CheckSilenceMatchesFilterLabels`), the `active`/`pending`/`expired` switches, and
`annotations` stored and shown."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.alertmanager_spec import assert_valid
from support.clock import FakeClock


def body(*matchers: tuple[str, str, bool, bool], **extra: Any) -> dict[str, Any]:
    return {
        "matchers": [{"name": n, "value": v, "isRegex": r, "isEqual": e} for n, v, r, e in matchers],
        "startsAt": "2026-11-27T09:00:00Z",
        "endsAt": "2026-11-27T11:00:00Z",
        "createdBy": "ops",
        "comment": "maintenance",
        **extra,
    }


async def post(client: httpx.AsyncClient, data: dict[str, Any]) -> str:
    answer = await client.post("/api/v2/silences", json=data)
    assert answer.status_code == 200, answer.text
    silence_id: str = answer.json()["silenceID"]
    return silence_id


async def listed(client: httpx.AsyncClient, *filters: str, **params: str) -> list[str]:
    answer = await client.get("/api/v2/silences", params={"filter": list(filters), **params})
    assert answer.status_code == 200, answer.text
    assert_valid(answer.json(), "/silences")
    return [s["id"] for s in answer.json()]


async def test_annotations_are_stored_and_shown(client: httpx.AsyncClient) -> None:
    notes = {"ticket": "OPS-12", "runbook": "https://example.org/rb"}
    silence_id = await post(client, body(("alertname", "Disk", False, True), annotations=notes))
    got = (await client.get(f"/api/v2/silence/{silence_id}")).json()
    assert_valid(got, "/silence/{silenceID}")
    assert got["annotations"] == notes
    [own] = (await client.get("/api/silences")).json()["silences"]
    assert own["annotations"] == notes
    changed = body(("alertname", "Disk", False, True), id=silence_id, annotations={"ticket": "OPS-13"})
    assert await post(client, changed) == silence_id
    assert (await client.get(f"/api/silences/{silence_id}")).json()["annotations"] == {"ticket": "OPS-13"}


async def test_a_silence_without_annotations_shows_an_empty_set(client: httpx.AsyncClient) -> None:
    silence_id = await post(client, body(("alertname", "Disk", False, True)))
    assert (await client.get(f"/api/v2/silence/{silence_id}")).json()["annotations"] == {}


@pytest.mark.parametrize(
    ("annotations", "location"),
    [({"ticket": 12}, "body.annotations.ticket"), ({"": "x"}, "body.annotations"), ([], "body.annotations")],
)
async def test_bad_annotations_are_refused_with_their_location(
    client: httpx.AsyncClient, annotations: Any, location: str
) -> None:
    answer = await client.post("/api/v2/silences", json=body(("a", "b", False, True), annotations=annotations))
    assert answer.status_code == 422, answer.text
    assert any(e["loc"].startswith(location) for e in answer.json()["errors"]), answer.json()
    assert (await client.get("/api/v2/silences")).json() == []


async def test_filter_lists_silences_that_carry_each_matcher_as_written(client: httpx.AsyncClient) -> None:
    plain = await post(client, body(("alertname", "Disk", False, True)))
    with_service = await post(client, body(("alertname", "Disk", False, True), ("service", "api", False, True)))
    regex = await post(client, body(("alertname", "Disk|Cpu", True, True)))
    negative = await post(client, body(("alertname", "Disk", False, True), ("env", "dev", False, False)))
    assert set(await listed(client)) == {plain, with_service, regex, negative}
    assert set(await listed(client, "alertname=Disk")) == {plain, with_service, negative}
    assert await listed(client, 'alertname="Disk"', "service=api") == [with_service]
    assert await listed(client, 'alertname=~"Disk|Cpu"') == [regex]
    assert await listed(client, "env!=dev") == [negative]
    # Compared, not evaluated: `Disk` matches the regex silence's pattern, but `=` is not `=~`.
    assert await listed(client, "alertname=Disk|Cpu") == []
    assert await listed(client, "service=web") == []


async def test_state_switches(client: httpx.AsyncClient, clock: FakeClock) -> None:
    active = await post(client, body(("alertname", "Disk", False, True)))
    pending = await post(client, body(("alertname", "Disk", False, True), startsAt="2026-11-27T10:00:00Z"))
    expired = await post(client, body(("alertname", "Disk", False, True)))
    assert (await client.delete(f"/api/v2/silence/{expired}")).status_code == 200
    assert await listed(client, "alertname=Disk") == [active, pending, expired]
    assert await listed(client, expired="false") == [active, pending]
    assert await listed(client, active="false", pending="false") == [expired]
    assert await listed(client, active="false", pending="false", expired="false") == []


@pytest.mark.parametrize("bad", ["alertname", "=x", 'a="unterminated', "a=~("])
async def test_a_bad_filter_is_a_400_naming_it(client: httpx.AsyncClient, bad: str) -> None:
    answer = await client.get("/api/v2/silences", params={"filter": ["alertname=Disk", bad]})
    assert answer.status_code == 400, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == ["query.filter[1]"]
