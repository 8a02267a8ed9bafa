"""Signed one-click action links: `{public_url}/actions/{action}/{token}` in a message lets its reader
acknowledge, resolve or silence the alert without logging in, because the token is the credential. It
names the alert, its episode, the action and who it was sent to, and it expires. `ack_all` names a
message instead (its outbox row), and acknowledges every alert that message listed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

import orjson

from alerthub.errors import ExpiredError, ForbiddenError

VERSION = "a1"
# Characters of a button's signature: 96 bits, where a whole token would not fit in 64 bytes.
_BUTTON_SIGNATURE = 16


class Action(StrEnum):
    ACK = "ack"
    RESOLVE = "resolve"
    SILENCE = "silence"
    ACK_ALL = "ack_all"  # every alert a message for several listed: one act stops their escalations


@dataclass(frozen=True, slots=True)
class ActionGrant:
    alert_id: int
    episode: int
    action: Action
    person: str  # who the message went to: a person's name, or `channel:<name>`
    expires: int  # Unix seconds
    message: int = 0  # `ack_all`: the message's notification id (its alert id and episode are 0)


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
        if grant.message:
            fields["n"] = grant.message
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
            grant = ActionGrant(
                int(data["a"]), int(data["e"]), Action(data["x"]), str(data["p"]), int(data["t"]), int(data.get("n", 0))
            )
        except (ValueError, KeyError, TypeError) as exc:  # signed by us, so only an older format lands here
            raise ForbiddenError("this action link is not valid") from exc
        if grant.expires <= now:
            raise ExpiredError("this action link has expired; open the alert in alerthub instead")
        return grant

    def button(self, alert_id: int, episode: int, action: Action, expires: int) -> str:
        """`<id>.<episode>.<expiry>.<signature>`: a grant without its person, short enough for a button
        that holds 64 bytes with its action (Telegram's `callback_data`); the service that carries the
        press names who pressed. Signed, so a client that forges a press cannot name another alert.
        `ack_all`: `alert_id` is the message's notification id, `episode` 0 (the action is signed with it)."""
        ref = f"{alert_id}.{episode}.{_b36(expires)}"
        return f"{ref}.{self._sign_button(action.value, ref)}"

    def check_button(self, action: str, ref: str, person: str, now: float) -> ActionGrant:
        """The grant a `button` ref holds for `person`; ForbiddenError for anything not made by `button`
        for this action, ExpiredError once expired."""
        parts = ref.split(".")
        if len(parts) == 2:  # `<id>.<episode>`, unsigned, as buttons were made before 2026-12
            raise ForbiddenError("this button is from an earlier alerthub and no longer acts: use the message's link")
        signed = len(parts) == 4 and hmac.compare_digest(
            parts[3].encode(), self._sign_button(action, ".".join(parts[:3])).encode()
        )
        if not signed:  # what we signed is well-formed: an action of ours, whole numbers
            raise ForbiddenError("this button is not valid: it was changed or not made by this hub")
        expires = int(parts[2], 36)
        if action == Action.ACK_ALL:
            grant = ActionGrant(0, 0, Action.ACK_ALL, person, expires, message=int(parts[0]))
        else:
            grant = ActionGrant(int(parts[0]), int(parts[1]), Action(action), person, expires)
        if grant.expires <= now:
            raise ExpiredError("this button has expired: act from the alert's page in alerthub")
        return grant

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def _sign_button(self, action: str, ref: str) -> str:
        # Apart from `_sign`'s messages: a token's payload is base64, which never holds a colon.
        message = f"button:{action}:{ref}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())[:_BUTTON_SIGNATURE]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
