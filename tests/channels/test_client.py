"""The delivery client's short path sends what httpx's own client would, and answers the same way."""

from __future__ import annotations

import httpx
import pytest

from alerthub.channels.base import request
from alerthub.channels.client import DeliveryClient, delivery_client
from support.standins import Receiver


async def test_the_short_path_puts_the_same_request_on_the_wire_as_httpx(receiver: Receiver) -> None:
    body = {"text": "café ☕", "n": 1}
    async with httpx.AsyncClient() as plain, delivery_client() as ours:
        for client in (plain, ours):
            await request(
                client, "POST", f"{receiver.base_url}/hook", json_body=body, params={"wait": "true"}, seconds=5
            )
    theirs, mine = receiver.requests
    assert (mine.path, mine.query, mine.body) == (theirs.path, theirs.query, theirs.body)
    assert {k.lower(): v for k, v in mine.headers.items()} == {k.lower(): v for k, v in theirs.headers.items()}


def test_a_proxy_in_the_environment_leaves_requests_to_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert DeliveryClient().direct
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert not DeliveryClient().direct
