"""The one-click links a message carries for each open alert: Acknowledge, Resolve, Silence 1h, each
`{external_url}/actions/{action}/{token}` with a token signed by the server secret (the web side's
`web/actions.py` shows and performs them). Made when the message is rendered, never stored: the outbox
holds no credential, and a retry gets a fresh expiry (a minute's links are made once: `expiry`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from alerthub.channels.message import Link
from alerthub.config.models import AuthConfig, Config
from alerthub.domain.action_token import Action, ActionGrant, ActionTokenCodec
from alerthub.domain.clock import Clock
from alerthub.domain.notification import AlertSnapshot
from alerthub.store.app_settings import server_secret
from alerthub.store.database import Database

# An acknowledged alert can still be resolved or silenced; only a firing one can be acknowledged.
_OFFERED = {"firing": (Action.ACK, Action.RESOLVE, Action.SILENCE), "acknowledged": (Action.RESOLVE, Action.SILENCE)}


LINKS_KEPT = 20_000

LinksKey = tuple[int, int, tuple[Action, ...], str, int, str, tuple[str, ...], bool]


@dataclass(frozen=True, slots=True)
class ActionLinker:
    codec: ActionTokenCodec
    ttl: timedelta
    clock: Clock
    # The links made, by everything they are made of: within a minute an alert listed again in its
    # group's next message gets the same links (`expiry`), made once. Kept by `LinkerSource` across sends.
    made: dict[LinksKey, tuple[Link, ...]] = field(default_factory=dict)

    def links(
        self, alert: AlertSnapshot, external_url: str | None, holder: str, t: dict[str, str], *, refs: bool = False
    ) -> tuple[Link, ...]:
        """`holder` is who the message goes to (`channel:<name>`, or a person's name): the alert's history
        names them when the link is used. `refs`: each link also carries its button's signed `ref`."""
        offered = _OFFERED.get(alert.state, ())
        if not external_url or not offered:
            return ()
        expires = expiry(int((self.clock() + self.ttl).timestamp()), self.ttl)
        base = external_url.rstrip("/")
        labels = tuple(t[f"action_{a.value}"] for a in offered)
        key = (alert.id, alert.episode, offered, holder, expires, base, labels, refs)
        links = self.made.get(key)
        if links is None:
            if len(self.made) >= LINKS_KEPT:
                self.made.clear()
            links = self.made[key] = self._links(alert, offered, holder, expires, base, labels, refs)
        return links

    def whole_link(
        self, message: int, external_url: str | None, holder: str, label: str, *, refs: bool = False
    ) -> Link | None:
        """One link acknowledging every alert the message (its outbox row `message`) lists; made afresh
        for each message, as each is sent once."""
        if not external_url:
            return None
        expires = expiry(int((self.clock() + self.ttl).timestamp()), self.ttl)
        token = self.codec.encode(ActionGrant(0, 0, Action.ACK_ALL, holder, expires, message=message))
        ref = self.codec.button(message, 0, Action.ACK_ALL, expires) if refs else None
        url = f"{external_url.rstrip('/')}/actions/{Action.ACK_ALL.value}/{token}"
        return Link(label, url, Action.ACK_ALL.value, token, ref)

    def _links(
        self,
        alert: AlertSnapshot,
        offered: tuple[Action, ...],
        holder: str,
        expires: int,
        base: str,
        labels: tuple[str, ...],
        refs: bool,
    ) -> tuple[Link, ...]:
        tokens = {action: self._token(alert, action, holder, expires) for action in offered}
        return tuple(
            Link(label, f"{base}/actions/{a.value}/{token}", a.value, token, self._button(alert, a, expires, refs))
            for label, (a, token) in zip(labels, tokens.items(), strict=True)
        )

    def _button(self, alert: AlertSnapshot, action: Action, expires: int, refs: bool) -> str | None:
        return self.codec.button(alert.id, alert.episode, action, expires) if refs else None

    def _token(self, alert: AlertSnapshot, action: Action, holder: str, expires: int) -> str:
        return self.codec.encode(ActionGrant(alert.id, alert.episode, action, holder, expires))


def expiry(at: int, ttl: timedelta) -> int:
    """A link lasting an hour or more expires on a whole minute, up to a minute before its `ttl` is up:
    messages made within one minute then carry the same links for an alert, made once (`ActionLinker.made`),
    where a storm re-sends each growing group every `group_interval`. A shorter link keeps its second."""
    return at - at % 60 if ttl >= timedelta(hours=1) else at


def stored_codec(db: Database, auth: AuthConfig, clock: Clock) -> Callable[[], Awaitable[ActionTokenCodec]]:
    """The codec signed with the server secret, read (or made) from the store on first use."""
    found: list[ActionTokenCodec] = []

    async def codec() -> ActionTokenCodec:
        if not found:
            found.append(ActionTokenCodec(await server_secret(db, auth, clock())))
        return found[0]

    return codec


class LinkerSource:
    """The worker's linker, made on first use (the server secret is read, or created, once); None while
    `server.action_links` is off."""

    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.codec = stored_codec(db, config.auth, clock)
        self.made: dict[LinksKey, tuple[Link, ...]] = {}

    async def __call__(self) -> ActionLinker | None:
        if not self.config.server.action_links:
            return None
        return ActionLinker(await self.codec(), self.config.server.action_link_ttl, self.clock, self.made)
