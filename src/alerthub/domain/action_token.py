"""Signed one-click action links: `{public_url}/actions/{action}/{token}` in a message lets its reader
acknowledge, resolve or silence the alert without logging in, because the token is the credential. It
names the alert, its episode, the action and who it was sent to, and it expires."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

import orjson

from alerthub.errors import ExpiredError, ForbiddenError

VERSION = "a1"


class Action(StrEnum):
    ACK = "ack"
    RESOLVE = "resolve"
    SILENCE = "silence"


@dataclass(frozen=True, slots=True)
class ActionGrant:
    alert_id: int
    episode: int
    action: Action
    person: str  # who the message went to: a person's name, or `channel:<name>`
    expires: int  # Unix seconds


class ActionTokenCodec:
    """`a1.<payload>.<hmac>`, keyed apart from session cookies so neither can stand in for the other."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"alerthub-action:" + secret.encode()).digest()

    def encode(self, grant: ActionGrant) -> str:
        fields = {
            "a": grant.alert_id,
            "e": grant.episode,
            "x": grant.action.value,
            "p": grant.person,
            "t": grant.expires,
        }
        payload = _b64(orjson.dumps(fields))
        return f"{VERSION}.{payload}.{self._sign(payload)}"

    def decode(self, token: str, now: float) -> ActionGrant:
        """The grant; ForbiddenError (403) for anything not signed by us, ExpiredError (410) once expired."""
        version, _, rest = token.partition(".")
        payload, _, signature = rest.partition(".")
        if version != VERSION or not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            raise ForbiddenError("this action link is not valid: it was changed or not made by this hub")
        try:
            data = orjson.loads(_unb64(payload))
            grant = ActionGrant(int(data["a"]), int(data["e"]), Action(data["x"]), str(data["p"]), int(data["t"]))
        except (ValueError, KeyError, TypeError) as exc:  # signed by us, so only an older format lands here
            raise ForbiddenError("this action link is not valid") from exc
        if grant.expires <= now:
            raise ExpiredError("this action link has expired; open the alert in alerthub instead")
        return grant

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
