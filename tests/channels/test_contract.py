"""One table over every registered channel type: each is built from its config, and describe()
(shown by GET /api/channels and `alerthub channels list`) never contains a secret. A type added later
brings its row in its own test file, so adding a channel touches no shared test."""

from __future__ import annotations

import importlib

import pytest

from alerthub.channels import CHANNEL_TYPES, build_channel
from alerthub.config.models import Config

SECRET = "S3CR3T-value-9f8e7d"

TABLE: dict[str, dict[str, object]] = {
    "discord": {"url": f"https://discord.com/api/webhooks/123/{SECRET}"},
    "slack": {"url": f"https://hooks.slack.com/services/T0/B0/{SECRET}"},
    "telegram": {"bot_token": f"123:{SECRET}", "chat_id": 42},
    "webhook": {"url": f"https://hooks.example/in?token={SECRET}", "secret": SECRET, "headers": {"X-Token": SECRET}},
    "email": {"smtp_host": "smtp.example.com", "username": "u", "password": SECRET, "to": "a@b.c"},
    "apprise": {"urls": [f"json://user:{SECRET}@127.0.0.1:8080/x", f"tgram://123456789:{SECRET}/12345"]},
}


def own_samples() -> dict[str, dict[str, object]]:
    """`sample(secret)` of tests/channels/test_<type>.py for each registered type the table has no row
    for: its config keys, every secret written as the `secret` it is given."""
    found: dict[str, dict[str, object]] = {}
    for kind in sorted(set(CHANNEL_TYPES) - set(TABLE)):
        try:
            module = importlib.import_module(f"test_{kind}")
        except ModuleNotFoundError:
            continue  # no row anywhere: the coverage test below names it
        if callable(getattr(module, "sample", None)):
            found[kind] = module.sample(SECRET)
    return found


SAMPLES: dict[str, dict[str, object]] = {**TABLE, **own_samples()}


def test_the_table_covers_every_channel_type() -> None:
    assert set(SAMPLES) == set(CHANNEL_TYPES)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_describe_never_shows_a_secret(kind: str) -> None:
    config = Config.model_validate({"channels": [{"name": "c", "type": kind, **SAMPLES[kind]}]})
    channel = build_channel(config.channels[0])
    assert channel.kind == kind and channel.name == "c"
    shown = channel.describe()
    assert shown and SECRET not in repr(shown)
