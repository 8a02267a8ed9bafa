"""`integrations.slack`: button presses on alerthub's Slack messages (Block Kit `block_actions`), posted by
Slack to `POST /webhooks/slack/interactions` once a Slack app with interactivity points there:

    integrations:
      slack:
        signing_secret: ${SLACK_SIGNING_SECRET}

A press is verified as Slack documents ("Verifying requests from Slack"): `X-Slack-Signature` is `v0=` and
the hex HMAC-SHA256, keyed by the app's signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`;
a timestamp more than five minutes from now is refused, so a captured request cannot be replayed later.
The body is a form whose `payload` field is JSON: the button's `action_id` (`ack`, `ack_all`, `resolve`, `silence`),
its `value` (the signed action token alerthub put there), who pressed it and the `response_url` through
which the original message is updated."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from pydantic import SecretStr

from alerthub.config.models import Config, Strict
from alerthub.errors import AuthenticationError, InputError, Problem
from alerthub.sources.contracts import Settings, json_object
from alerthub.sources.signatures import hmac_sha256_hex
from alerthub.validation import usable_url, without_nul

MAX_AGE = 300  # seconds a request's timestamp may be from now (Slack's own advice)
ACTIONS = ("ack", "ack_all", "resolve", "silence")
PATH = "/webhooks/slack/interactions"


class SlackConfig(Strict):
    signing_secret: SecretStr | None = None


SETTINGS = Settings("slack", SlackConfig)


@dataclass(frozen=True, slots=True)
class SlackPress:
    """One button press. `blocks`: the pressed message's own blocks, Slack's JSON handed back to it as
    they came (the updated message keeps them); `response_url` None when Slack sent none."""

    action: str
    token: str
    user_id: str
    user_name: str
    response_url: str | None
    blocks: tuple[Mapping[str, object], ...]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "v0=" + hmac_sha256_hex(secret, f"v0:{timestamp}:".encode() + body)


def verify(secret: str | None, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Raises AuthenticationError (401) unless Slack signed exactly these bytes within five minutes.
    Refused outright while no signing secret is configured (fail closed)."""
    if not secret:
        raise AuthenticationError(
            "Slack button presses are refused until integrations.slack.signing_secret is set",
            [Problem("integrations.slack.signing_secret", "not configured")],
        )
    stamp = headers.get("x-slack-request-timestamp", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > MAX_AGE:
        raise AuthenticationError(
            "X-Slack-Request-Timestamp is missing or more than 5 minutes from now: refused as a possible replay",
            [Problem("headers.x-slack-request-timestamp", "missing or too old")],
        )
    given = headers.get("x-slack-signature", "")
    if not hmac.compare_digest(signature(secret, stamp, body).encode(), given.encode()):
        raise AuthenticationError(
            "X-Slack-Signature does not match: not signed with this app's signing secret",
            [Problem("headers.x-slack-signature", "wrong signature")],
        )


def parse(body: bytes) -> SlackPress:
    """The press in a verified body; InputError (422) naming what is missing or not understood."""
    payload = _payload(body)
    actions = payload.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    action, token = first.get("action_id"), first.get("value")
    if payload.get("type") != "block_actions" or action not in ACTIONS or not isinstance(token, str) or not token:
        raise InputError(
            "not a press of an alerthub button (block_actions with action_id ack, resolve or silence)",
            [Problem("body.payload.actions[0]", "expected action_id ack, resolve or silence and its value")],
        )
    user = json_object(payload.get("user"))
    url = payload.get("response_url")
    blocks = json_object(payload.get("message")).get("blocks")
    return SlackPress(
        action=str(action),
        token=token,
        user_id=str(user.get("id") or ""),
        user_name=str(user.get("username") or user.get("name") or user.get("id") or "someone"),
        response_url=url if isinstance(url, str) and usable_url(url) else None,
        blocks=tuple(b for b in blocks if isinstance(b, dict)) if isinstance(blocks, list) else (),
    )


def _payload(body: bytes) -> dict[str, Any]:
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
        data = without_nul(json.loads(form["payload"][0]))
    except (UnicodeDecodeError, ValueError, KeyError, IndexError):
        data = None
    if not isinstance(data, dict):
        raise InputError(
            "expected a form with a JSON object in its payload field, as Slack sends interactions",
            [Problem("body.payload", "missing or not a JSON object")],
        )
    return data


def button_problems(config: Config) -> list[Problem]:
    """A Slack channel with `buttons: true` needs the signing secret that lets its presses in."""
    settings = config.integrations.entries().get("slack")
    secret = settings.get("signing_secret") if isinstance(settings, dict) else None
    return [
        Problem(f"channels.{c.name}.buttons", "needs integrations.slack.signing_secret to accept the presses")
        for c in config.channels
        if c.type == "slack" and getattr(c, "buttons", False) and not secret
    ]
