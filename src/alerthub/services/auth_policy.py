"""The rules of access that need no database: the login rate limit and where open access is allowed."""

from __future__ import annotations

import functools
import ipaddress
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class LoginLimiter:
    """At most `per_key` login attempts per (client, user) and `per_client` per client are judged in
    `window`. An attempt is counted *before* it is judged: `reserve` checks and takes a slot in one
    synchronous step, so concurrent attempts cannot all pass the check while the slow password check of
    the first is still running. A successful login gives its slots back."""

    per_key: int = 5
    per_client: int = 20
    window: float = 300.0
    _attempts: dict[str, deque[float]] = field(default_factory=dict)

    def reserve(self, client: str, user: str, now: float) -> float | None:
        """None, with the attempt counted, when it may be judged; else the seconds to wait."""
        keyed = self._wait(f"{client}|{user}", self.per_key, now)
        worst = max(keyed, self._wait(client, self.per_client, now))
        if worst > 0:
            return worst
        for key in (f"{client}|{user}", client):
            self._attempts.setdefault(key, deque()).append(now)
        if len(self._attempts) > 10_000:  # bounded memory under a spray of client addresses
            self._attempts = {k: v for k, v in self._attempts.items() if v and v[-1] > now - self.window}
        return None

    def succeeded(self, client: str, user: str, reserved_at: float) -> None:
        """The right password: this user's failures from this client are forgiven, and the attempt's slot
        in the client's budget is returned (a shared address that logs in correctly is never held back)."""
        self._attempts.pop(f"{client}|{user}", None)
        times = self._attempts.get(client)
        if times is not None and reserved_at in times:
            times.remove(reserved_at)

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._attempts.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        return times[0] + self.window - now if len(times) >= limit else 0.0


@functools.lru_cache(maxsize=4096)  # asked on every ingest request, of the same few client addresses
def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_problem(host: str, has_credentials: bool) -> str | None:
    """Why serving on `host` would be unsafe, or None. Open access is only allowed on loopback."""
    if has_credentials or is_loopback(host):
        return None
    return (
        f"refusing to listen on {host}: no API token or user exists, so anyone who can reach it could read and "
        "change alerts.\nAdd credentials first, then start again:\n"
        "  alerthub users add NAME                          # a login for the web dashboard\n"
        "  alerthub tokens create --scope ingest --name N   # a token for senders (Authorization: Bearer)\n"
        "or listen on 127.0.0.1 only (--host 127.0.0.1)."
    )


# A reverse proxy on the same host connects from loopback on everyone's behalf: a request that says it
# was forwarded is never taken for a local sender.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
LOOPBACK_OPEN = "open"


@dataclass(frozen=True, slots=True)
class IngestAccess:
    """What a sender without a token meets. `credentials`: any token or user exists (access control is
    on); `tokens`: an API token exists, or did (a revoked one counts: revoking the last token must not
    quietly reopen loopback ingest). Loopback ingest stays open only while dashboard logins alone exist:
    once tokens are handed out, senders are expected to use them."""

    credentials: bool
    tokens: bool
    loopback_ingest: str = LOOPBACK_OPEN

    @property
    def loopback_open(self) -> bool:
        return not self.credentials or (self.loopback_ingest == LOOPBACK_OPEN and not self.tokens)


def open_to_local_sender(access: IngestAccess, client_host: str | None, header_names: Iterable[str]) -> bool:
    """May an ingest request that brings no credential in, from `client_host`, pass?"""
    if client_host is None or not is_loopback(client_host) or not access.loopback_open:
        return False
    return not any(name.lower() in PROXY_HEADERS for name in header_names)


INGEST_ENDPOINTS = "POST /api/alerts/send, /api/v2/alerts, /v2/enqueue, /webhooks/alertmanager, /api/heartbeats/…"
SENDER_HINT = "give each sender a token: alerthub tokens create --scope ingest --name NAME"


def senders_notice(before: IngestAccess, after: IngestAccess) -> str:
    """What a change of credentials did to senders, said by `users add` and `tokens create`: the seed's
    monitors never read the answer, so a sender cut off by it would lose every alert without a sound."""
    prefix = "" if before.credentials else "access control is now on: the dashboard and API need a login or token. "
    if after.loopback_open:
        state = (
            f"senders: loopback ingest stays open (auth.loopback_ingest: {after.loopback_ingest}): unauthenticated "
            f"{INGEST_ENDPOINTS} from 127.0.0.1 or ::1 is still accepted; from any other address, or through a "
            f"reverse proxy (Forwarded, X-Forwarded-For, X-Real-IP), it answers 401 ({SENDER_HINT})"
        )
    elif before.loopback_open:
        why = "an API token exists" if after.tokens else "auth.loopback_ingest: token"
        state = (
            f"senders: unauthenticated ingest ({INGEST_ENDPOINTS}) from loopback too now answers 401 ({why}); "
            f"every sender must send 'Authorization: Bearer <token>'; {SENDER_HINT}"
        )
    else:
        state = "senders: nothing changed: ingest already needs a token ('Authorization: Bearer <token>')"
    return prefix + state
