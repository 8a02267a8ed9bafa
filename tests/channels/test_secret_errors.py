"""A remote that quotes the URL it was sent to in its error (Express's `Cannot POST /hooks/<token>`,
URL-encoded, one segment, cut short, past our cap) must not put any piece of a channel's secret into
the DeliveryError: that text becomes `last_error`, the log line and the Test button's answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from alerthub.channels import build_channel
from alerthub.channels.base import redact_url, scrub
from alerthub.channels.registry import ChannelConfig
from alerthub.channels.registry import channel_config as typed_channel_config
from alerthub.config.models import Config
from alerthub.delivery.compose import render
from alerthub.errors import DeliveryError
from support.channel_samples import payload
from support.leaks import (
    DISCORD_ID,
    DISCORD_TOKEN,
    HOOK_TOKEN,
    PASSWORD,
    QUERY_TOKEN,
    SLACK_IDS,
    SLACK_TOKEN,
    TELEGRAM_TOKEN,
    leaks,
)
from support.standins import EchoingStandIn

ECHOES = ["express", "decoded", "encoded", "segment", "target", "padded", "cut"]


def webhook(base: str) -> dict[str, object]:
    return {"type": "webhook", "url": f"{base}/hooks/{HOOK_TOKEN}?token={QUERY_TOKEN}&format=json"}


def with_password(base: str) -> dict[str, object]:
    host = base.removeprefix("http://")
    return {"type": "webhook", "url": f"http://alerts:{PASSWORD}@{host}/hooks/{HOOK_TOKEN}"}


def slack(base: str) -> dict[str, object]:
    return {"type": "slack", "url": f"{base}/services/{SLACK_IDS[0]}/{SLACK_IDS[1]}/{SLACK_TOKEN}"}


def discord(base: str) -> dict[str, object]:
    return {"type": "discord", "url": f"{base}/api/webhooks/{DISCORD_ID}/{DISCORD_TOKEN}"}


def telegram(base: str) -> dict[str, object]:
    return {"type": "telegram", "bot_token": TELEGRAM_TOKEN, "chat_id": "-100123", "base_url": base}


KINDS: dict[str, Callable[[str], dict[str, object]]] = {
    "webhook": webhook,
    "webhook-password": with_password,
    "slack": slack,
    "discord": discord,
    "telegram": telegram,
}


def channel_config(kind: str, base: str) -> ChannelConfig:
    config = Config.model_validate({"channels": [{"name": "c", **KINDS[kind](base)}]})
    return typed_channel_config(config.channels[0])


@pytest.fixture
def echoing(request: pytest.FixtureRequest) -> Iterator[EchoingStandIn]:
    # A Discord 404 is reported in our own words; any other 4xx quotes what the remote said.
    echo, status = request.param
    server = EchoingStandIn(echo, status)
    yield server
    server.close()


async def failure(kind: str, server: EchoingStandIn, http: httpx.AsyncClient) -> str:
    cfg = channel_config(kind, server.base_url)
    with pytest.raises(DeliveryError) as caught:
        await build_channel(cfg).send(render(payload(), cfg), http)
    return str(caught.value)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("echoing", [(echo, 400) for echo in ECHOES], indirect=True, ids=ECHOES)
async def test_no_piece_of_a_secret_is_in_the_error(
    kind: str, echoing: EchoingStandIn, http: httpx.AsyncClient
) -> None:
    text = await failure(kind, echoing, http)
    assert echoing.statuses() == [400]  # the remote really did quote the secret
    assert leaks(echoing.replies[0][1].text or str(echoing.replies[0][1].body))
    assert text.startswith("HTTP 400: ") and leaks(text) == [], text
    assert len(text) <= len("HTTP 400: ") + 300  # a few hundred characters of what the remote said


@pytest.mark.parametrize("echoing", [("express", 404)], indirect=True)
async def test_the_error_still_says_what_was_wrong(echoing: EchoingStandIn, http: httpx.AsyncClient) -> None:
    text = await failure("webhook", echoing, http)
    assert "Cannot POST /hooks/***" in text and "<title>Error</title>" in text


@pytest.mark.parametrize("echoing", [("auth", 401)], indirect=True)
async def test_user_info_sent_as_basic_auth_is_hidden_too(echoing: EchoingStandIn) -> None:
    # httpx's own client sends user-info as Basic auth (the Test button uses one).
    async with httpx.AsyncClient() as http:
        text = await failure("webhook-password", echoing, http)
    assert echoing.requests[0].headers["Authorization"].startswith("Basic ")
    assert "Basic ***" in text and leaks(text) == [] and "alerts" not in text


async def test_a_refused_connection_names_no_secret(http: httpx.AsyncClient) -> None:
    cfg = channel_config("telegram", "http://127.0.0.1:9")
    with pytest.raises(DeliveryError) as caught:
        await build_channel(cfg).send(render(payload(), cfg), http)
    assert caught.value.retryable and leaks(str(caught.value)) == []


def test_scrub_hides_every_part_in_every_spelling() -> None:
    cfg = channel_config("webhook", "https://hooks.example.com")
    quoted = [
        f"Cannot POST /hooks/{HOOK_TOKEN}",
        f"%2Fhooks%2F{HOOK_TOKEN}%3Ftoken%3D{QUERY_TOKEN}",
        f"token={QUERY_TOKEN.lower()}",
        f'{{"path": "\\/hooks\\/{HOOK_TOKEN}"}}',
        f"unknown hook {HOOK_TOKEN[:12]}…",
    ]
    for text in quoted:
        assert leaks(scrub(text, cfg)) == [], text
    assert scrub(f"/hooks/{HOOK_TOKEN}", cfg) == "/hooks/***"
    # The route's words are not secret: an error about them stays readable.
    assert scrub("hooks must be POSTed as json", cfg) == "hooks must be POSTed as json"


def test_scrub_hides_the_halves_of_a_bot_token_and_header_values() -> None:
    mail = typed_channel_config(
        Config.model_validate(
            {"channels": [{"name": "m", "type": "email", "smtp_host": "h", "to": ["a@b.c"], "password": PASSWORD}]}
        ).channels[0]
    )
    assert scrub(f"535 login refused for {PASSWORD[:11]}…", mail) == "535 login refused for ***…"
    bot = channel_config("telegram", "https://api.telegram.org")
    assert scrub(f"bot{TELEGRAM_TOKEN.replace(':', '%3A')} and {TELEGRAM_TOKEN[10:30]}", bot) == "bot*** and ***"
    hook = typed_channel_config(
        Config.model_validate(
            {
                "channels": [
                    {
                        "name": "h",
                        "type": "webhook",
                        "url": "https://x.test/in",
                        "headers": {"Authorization": f"Bearer {HOOK_TOKEN}", "X-Team": "web"},
                    }
                ]
            }
        ).channels[0]
    )
    assert scrub(f"token {HOOK_TOKEN} refused", hook) == "token *** refused"
    # A plain word of a header is no credential: hiding it would garble every error that says "webhook".
    assert scrub("webhook for team web refused", hook) == "webhook for team web refused"


def test_a_url_whose_first_segment_is_its_token_is_shown_without_it() -> None:
    assert redact_url(f"https://x.test/{HOOK_TOKEN}") == "https://x.test/***"
    assert redact_url(f"https://x.test/{HOOK_TOKEN}/notify") == "https://x.test/***"
    assert redact_url(f"https://x.test/hooks/{HOOK_TOKEN}") == "https://x.test/hooks/***"
