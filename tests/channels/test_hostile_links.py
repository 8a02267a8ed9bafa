"""Outside text crafted to break out of a channel's markup: a `url` annotation holding `>` and
`<!channel>` (Slack's `<url|text>`), `"` (an HTML href), `)` (Discord's `[text](url)`), and
mentions in the summary and labels. Real messages are rendered and sent to the stand-ins, and the
payload they receive is read the way the service would read it."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from html.parser import HTMLParser

import httpx
import pytest

from alerthub.channels.discord import DiscordChannel, DiscordChannelConfig
from alerthub.channels.links import usable_url
from alerthub.channels.slack import SlackChannel, SlackChannelConfig
from alerthub.channels.telegram import TelegramChannel, TelegramChannelConfig
from alerthub.delivery.compose import render
from alerthub.domain.notification import AlertSnapshot
from support.channel_samples import payload, snapshot
from support.standins import DiscordStandIn, SlackStandIn, TelegramStandIn

BREAKS_SLACK = "https://x.test/a><!channel>|boom"
BREAKS_HTML = 'https://x.test/a"><b>boom</b><a href="https://evil.test/'
BREAKS_DISCORD = "https://x.test/ok)[click](https://evil.test/"
PINGS = "<!channel> <!here> <@U0123> <!subteam^S1|ops> @everyone @here <@&555> <@42> <#7>"


def hostile(url: str, *, hub_url: str | None = None) -> AlertSnapshot:
    base = snapshot(summary=f"disk full {PINGS}", host="<!here> @everyone", team="<@&555>")
    return replace(base, annotations={**base.annotations, "url": url}, url=hub_url or base.url)


@pytest.mark.parametrize(
    "url",
    [
        "https://x.test/a b",
        "https://x.test/a\tb",
        "https://x.test/a\u2028b",
        "https://x.test/a\u202eb",
        "https://x.test/a<b",
        "https://x.test/a>b",
        'https://x.test/a"b',
        "https://x.test/a|b",
        "https://x.test/a`b",
        "https://x.test/a{b}",
        "https://x.test/a\\b",
        "https://x.test/a\x00b",
        "javascript:alert(1)",
        "https:///no-host",
        "https://[::1/unclosed",
    ],
)
def test_a_url_no_valid_url_looks_like_is_not_usable(url: str) -> None:
    assert not usable_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://x.test/q?a=1&b=2",
        "https://x.test/wiki/Foo_(bar)",
        "https://x.test/검색?q=디스크",
        "http://[::1]:8080/x",
    ],
)
def test_ordinary_urls_stay_usable(url: str) -> None:
    assert usable_url(url)


def test_every_character_is_judged_by_what_it_is_in_ascii_text_and_beyond() -> None:
    """ASCII text takes a quicker test than a Unicode category per character: it must refuse exactly what
    the categories refuse (controls, spaces, the characters no URL holds)."""
    never, invisible = set('<>"`{}|\\^'), {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
    samples = [chr(c) for c in range(128)] + ["\u00a0", "\u200b", "\u202e", "\u2028", "\u3000", "é", "검"]
    for ch in samples:
        safe = ch not in never and not ch.isspace() and unicodedata.category(ch) not in invisible
        assert usable_url(f"https://x.test/a{ch}b") is safe, repr(ch)


async def test_slack_a_url_cannot_break_out_of_its_link(slack: SlackStandIn, http: httpx.AsyncClient) -> None:
    cfg = SlackChannelConfig(name="slack", type="slack", url=slack.base_url + "/services/x")  # type: ignore[arg-type]
    # Also the hub's own alert URL: it is trusted only when it is a usable URL.
    alert = hostile(BREAKS_SLACK, hub_url="http://hub.test/alerts/7><!everyone>")
    await SlackChannel(cfg).send(render(payload(alert), cfg), http)
    body = slack.requests[0].json()
    assert slack.statuses() == [200]
    assert slack.mentions(body) == ["http://hub.test/alerts/7|Open in alerthub"]
    assert "&lt;!channel&gt;" in body["text"] and "&lt;!here&gt;" in str(body["blocks"])


async def test_slack_escapes_a_links_url_as_slack_documents(slack: SlackStandIn, http: httpx.AsyncClient) -> None:
    cfg = SlackChannelConfig(name="slack", type="slack", url=slack.base_url + "/services/x")  # type: ignore[arg-type]
    await SlackChannel(cfg).send(render(payload(hostile("https://x.test/q?a=1&b=<2>")), cfg), http)
    assert slack.mentions(slack.requests[0].json())[0] == "http://hub.test/alerts/7|Open in alerthub"
    await SlackChannel(cfg).send(render(payload(hostile("https://x.test/q?a=1&b=2")), cfg), http)
    assert slack.mentions(slack.requests[1].json())[0] == "https://x.test/q?a=1&amp;b=2|Source"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if tag == "a" and name == "href"]


@pytest.mark.parametrize("url", [BREAKS_HTML, BREAKS_SLACK, "https://x.test/a b"])
async def test_telegram_a_url_cannot_break_out_of_its_href(
    telegram: TelegramStandIn, http: httpx.AsyncClient, url: str
) -> None:
    cfg = TelegramChannelConfig.model_validate(
        {"name": "tg", "type": "telegram", "bot_token": telegram.token, "chat_id": 1, "base_url": telegram.base_url}
    )
    await TelegramChannel(cfg).send(render(payload(hostile(url)), cfg), http)
    assert telegram.statuses() == [200]  # Telegram's parser accepted the HTML
    links = Links()
    links.feed(telegram.sent[0]["text"])
    assert links.hrefs == ["http://hub.test/alerts/7"]
    assert "b" not in links.tags[1:] and "evil.test" not in telegram.sent[0]["text"]


async def test_telegram_escapes_quotes_and_ampersands_in_an_href(
    telegram: TelegramStandIn, http: httpx.AsyncClient
) -> None:
    cfg = TelegramChannelConfig.model_validate(
        {"name": "tg", "type": "telegram", "bot_token": telegram.token, "chat_id": 1, "base_url": telegram.base_url}
    )
    await TelegramChannel(cfg).send(render(payload(hostile("https://x.test/q?a=1&b='2'")), cfg), http)
    text = telegram.sent[0]["text"]
    assert '<a href="https://x.test/q?a=1&amp;b=&#39;2&#39;">' in text
    links = Links()
    links.feed(text)
    assert links.hrefs == ["https://x.test/q?a=1&b='2'", "http://hub.test/alerts/7"]


def discord_channel(server: DiscordStandIn, **extra: object) -> tuple[DiscordChannel, DiscordChannelConfig]:
    cfg = DiscordChannelConfig.model_validate({"name": "d", "type": "discord", "url": server.url(), **extra})
    return DiscordChannel(cfg), cfg


async def test_discord_a_url_cannot_end_its_link_and_start_another(
    discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    ch, cfg = discord_channel(discord)
    await ch.send(render(payload(hostile(BREAKS_DISCORD), snapshot(8)), cfg), http)
    description = discord.posted()[0]["embeds"][0]["description"]
    assert "[Source](https://x.test/ok%29[click]%28https://evil.test/)" in description
    assert "](https://evil.test" not in description


async def test_discord_a_url_with_a_space_is_neither_link_nor_embed_url(
    discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    ch, cfg = discord_channel(discord)
    await ch.send(render(payload(hostile("https://x.test/a b"), snapshot(8)), cfg), http)
    embed = discord.posted()[0]["embeds"][0]
    assert "url" not in embed and "x.test" not in embed["description"]
    await ch.send(render(payload(hostile("https://x.test/a b")), cfg), http)
    assert "url" not in discord.posted()[1]["embeds"][0]


async def test_discord_outside_mentions_ping_nobody_even_an_allowed_role(
    discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    ch, cfg = discord_channel(discord, mention_roles=["555"], mention_users=["42"])
    await ch.send(render(payload(hostile(BREAKS_DISCORD)), cfg), http)
    resolved = replace(hostile(BREAKS_DISCORD), state="resolved")
    await ch.send(render(payload(resolved, status="resolved", reason="all alerts resolved"), cfg), http)
    first, follow_up = discord.posted()
    assert first["allowed_mentions"] == {"parse": [], "roles": ["555"], "users": ["42"]}
    assert first["content"].startswith("<@&555> <@42> ")
    # The channel's own mentions ping once, on the first message; the title's never do.
    assert discord.pings == ["role:555", "user:42"]
    assert "<@&555>" not in follow_up["content"] and "@everyone" not in follow_up["content"]
