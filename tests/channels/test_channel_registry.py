"""Adding a channel type is one module and one registry line: a type registered here and nowhere else
is configured, checked, built, written in its own style, paced and sent through like the built-in ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

import httpx
import pytest
from pydantic import SecretStr

from alerthub.channels.base import ChannelSettings, Pace, PageStyle, SendResult, ThreadStyle
from alerthub.channels.message import MessageStyle, RenderedMessage
from alerthub.channels.registry import CHANNEL_TYPES, build_channel
from alerthub.config.models import Config
from alerthub.delivery.compose import Renderer
from alerthub.domain.notification import NotificationStatus
from alerthub.errors import ConfigError
from alerthub.hub import Hub, load_config
from support.channel_samples import payload, snapshot
from support.clock import FakeClock
from support.outbox_rows import add_alert, enqueue, row
from support.outbox_rows import payload as outbox_payload


class PagerConfig(ChannelSettings):
    type: Literal["pager"]
    url: SecretStr
    priority: int = 3


class PagerChannel:
    kind: ClassVar[str] = "pager"
    config_model: ClassVar[type[ChannelSettings]] = PagerConfig
    threads: ClassVar[ThreadStyle] = "none"
    style: ClassVar[MessageStyle] = MessageStyle(escape=str.upper)  # its markup: shouting, easy to see
    pace: ClassVar[Pace] = Pace(7.0, 7)
    in_flight: ClassVar[int] = 3
    pages_by: ClassVar[PageStyle] = "none"  # it reaches no person by name
    sent: ClassVar[list[RenderedMessage]] = []

    def __init__(self, config: PagerConfig) -> None:
        self.config = config
        self.name = config.name

    def describe(self) -> dict[str, str]:
        return {"priority": str(self.config.priority)}

    async def send(self, message: RenderedMessage, http: httpx.AsyncClient) -> SendResult:
        self.sent.append(message)
        return SendResult("page-1")


@pytest.fixture
def pager(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[PagerChannel]]:
    monkeypatch.setitem(CHANNEL_TYPES, "pager", PagerChannel)
    PagerChannel.sent = []
    yield PagerChannel


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerthub.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_its_entries_are_read_with_its_own_model(pager: type[PagerChannel], tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "channels:\n  - {name: p, type: pager, url: 'https://pager.test/x'}\n"), {})
    [entry] = config.channels
    assert isinstance(entry, PagerConfig) and entry.priority == 3
    assert build_channel(entry).describe() == {"priority": "3"}


def test_its_own_keys_are_checked_with_their_locations(pager: type[PagerChannel], tmp_path: Path) -> None:
    text = "server: {port: -1}\nchannels:\n  - {name: ok, type: slack, url: 'https://s.test/x'}\n"
    text += "  - {name: p, type: pager, priority: high, colour: red}\n  - {name: q, type: fax}\n"
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), {})
    found = {p.location: p.message for p in caught.value.problems}
    assert found["channels[1].url"] == "Field required"
    assert found["channels[1].priority"].startswith("Input should be a valid integer")
    assert found["channels[1].colour"] == "unknown key (check the spelling)"
    assert "'fax'" in found["channels[2]"] and "pager" in found["channels[2]"] and "discord" in found["channels[2]"]
    assert "server.port" in found


def test_its_messages_are_written_in_its_style(pager: type[PagerChannel]) -> None:
    entry = Config.model_validate({"channels": [{"name": "p", "type": "pager", "url": "https://p.test"}]}).channels[0]
    message = Renderer(entry).render(payload(snapshot(summary="disk full")))
    assert "DISK FULL" in message.body and message.html is None


@pytest.fixture
def config(pager: type[PagerChannel]) -> Config:
    return Config.model_validate(
        {"server": {"public_url": "http://hub.test"}, "channels": [{"name": "p", "type": "pager", "url": "https://p"}]}
    )


async def test_delivery_paces_and_sends_it_by_its_class(
    pager: type[PagerChannel], hub: Hub, clock: FakeClock, http: httpx.AsyncClient
) -> None:
    worker = hub.delivery
    assert worker.lanes["p"].width == 3
    bucket = worker.bucket("p")
    assert (bucket.rate, bucket.burst) == (7.0, 7)
    row_id = await enqueue(hub.db, clock(), "p", outbox_payload(await add_alert(hub.db, clock())))
    await worker.tick(http)
    sent = await row(hub.db, row_id)
    assert sent.status is NotificationStatus.SENT and sent.external_id == "page-1"
    [message] = pager.sent
    assert "SYSTEM_CPU_HIGH ON WEB-1" in message.body
