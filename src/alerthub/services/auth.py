"""Access control use cases: tokens, users, logins, and the cached view the request path checks.

A bearer token is checked without touching the database: `AuthService.snapshot()` is refreshed at most
every `REFRESH_SECONDS` (tokens created or revoked by the CLI, another process, take effect within that),
and at once after a change made through this service. Browser sessions are rows in the database
(services/sessions.py), so ending one takes effect at once everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from alerthub.config.models import Config
from alerthub.domain.action_token import ActionTokenCodec
from alerthub.domain.clock import Clock
from alerthub.errors import ConflictError, InputError, NotFoundError, Problem, StoreUnavailableError
from alerthub.loops import wait_or_stop
from alerthub.services.auth_policy import IngestAccess, LoginLimiter, senders_notice
from alerthub.services.credentials import (
    Principal,
    Scope,
    SessionCodec,
    dummy_hash,
    hash_password,
    new_token,
    same_secret,
    token_hash,
    verify_password,
)
from alerthub.services.sessions import SessionService
from alerthub.store import app_settings, tokens, users
from alerthub.store import sessions as session_store
from alerthub.store.database import Database
from alerthub.telemetry import LoopFailureLog

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
# A bearer token we do not know may be brand new (created by the CLI a moment ago): reload, but not
# more often than this, so a stream of bad tokens cannot turn into a stream of queries.
MISS_RELOAD_SECONDS = 1.0
NAME_PATTERN = r"^[A-Za-z0-9_.@-]{1,100}$"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Snapshot:
    tokens: dict[str, tuple[str, Principal]]  # sha256 hex -> (the stored hash, principal)
    users: dict[str, Scope]
    loaded_at: float
    revoked_tokens: bool = False

    @property
    def any_token(self) -> bool:
        """A token exists or did (auth_policy.IngestAccess)."""
        return bool(self.tokens or self.revoked_tokens)

    @property
    def enabled(self) -> bool:
        """Credentials are required as soon as any token or user exists. A revoked token counts: revoking
        the last token must not quietly reopen the hub."""
        return bool(self.tokens or self.users or self.revoked_tokens)


class AuthService:
    def __init__(
        self, db: Database, config: Config, clock: Clock, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self._monotonic = monotonic
        self._snapshot: Snapshot | None = None
        self._last_miss_reload = 0.0
        self._lock = asyncio.Lock()
        self._codec: SessionCodec | None = None
        self._action_codec: ActionTokenCodec | None = None
        self._secret: str | None = None
        self.limiter = LoginLimiter()
        self.sessions = SessionService(db, config.auth, clock)
        self._used: dict[str, datetime] = {}

    @property
    def session_lifetime(self) -> timedelta:
        return self.config.auth.session_max_age

    # --- the request path -------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        current = self._snapshot
        if current is not None and self._monotonic() - current.loaded_at < REFRESH_SECONDS:
            return current
        try:
            return await self.reload(current)
        except StoreUnavailableError:
            if current is None:
                raise
            return current  # the database is away: the last known credentials still hold

    async def reload(self, seen: Snapshot | None = None) -> Snapshot:
        async with self._lock:
            if self._snapshot is not seen and self._snapshot is not None:
                return self._snapshot  # another request reloaded while we waited
            async with self.db.read() as conn:
                every = await tokens.list_all(conn)
                people = await users.list_all(conn)
            active = [t for t in every if t.revoked_at is None]
            self._snapshot = Snapshot(
                tokens={t.token_hash: (t.token_hash, Principal(t.name, Scope(t.scope), "token")) for t in active},
                users={u.name: Scope.ADMIN if u.is_admin else Scope.READ for u in people},
                loaded_at=self._monotonic(),
                revoked_tokens=len(active) < len(every),
            )
            return self._snapshot

    def access(self, snap: Snapshot) -> IngestAccess:
        return IngestAccess(snap.enabled, snap.any_token, self.config.auth.loopback_ingest)

    async def ingest_access(self) -> IngestAccess:
        return self.access(await self.snapshot())

    def invalidate(self) -> None:
        self._snapshot = None

    async def authenticate_token(self, token: str) -> Principal | None:
        digest = token_hash(token)
        snap = await self.snapshot()
        found = _lookup(snap, digest)
        if found is None and self._monotonic() - self._last_miss_reload > MISS_RELOAD_SECONDS:
            self._last_miss_reload = self._monotonic()
            found = _lookup(await self.reload(snap), digest)
        if found is not None:
            self._used[found.name] = self.clock()
        return found

    async def flush_usage(self) -> int:
        """Write the tokens' last use, gathered in memory: one small write a minute, none per request."""
        used, self._used = self._used, {}
        if used:
            async with self.db.write() as conn:
                await tokens.touch(conn, used)
        return len(used)

    async def usage_loop(
        self, stop: asyncio.Event, every: float = 60.0, on_error: Callable[[], None] = lambda: None
    ) -> None:
        log_failure = LoopFailureLog(logger, "recording token use failed")
        while not stop.is_set():
            await wait_or_stop(every, stop)
            try:
                await self.flush_usage()
            except Exception:  # a loop boundary: log and try again next time
                log_failure(extra={"loop": "token-usage"})
                on_error()

    async def session_codec(self) -> SessionCodec:
        if self._codec is None:
            self._codec = SessionCodec(await self.server_secret())
        return self._codec

    async def action_codec(self) -> ActionTokenCodec:
        """Signs the one-click action links in messages, with the same server secret under another key."""
        if self._action_codec is None:
            self._action_codec = ActionTokenCodec(await self.server_secret())
        return self._action_codec

    async def server_secret(self) -> str:
        if self._secret is None:
            self._secret = await app_settings.server_secret(self.db, self.config.auth, self.clock())
        return self._secret

    # --- logins -----------------------------------------------------------------------------

    async def login(self, name: str, password: str, client: str) -> Principal:
        """The user, or AuthenticationError; TooManyAttempts while the limiter holds the client back."""
        now = self._monotonic()
        # Counted before any await: the check and the count are one step, so a burst of concurrent
        # guesses cannot all be judged while the first one's password check is still running.
        wait = self.limiter.reserve(client, name, now)
        if wait is not None:
            raise TooManyAttempts(wait)
        async with self.db.read() as conn:
            found = await users.get(conn, name)
        stored = found.password_hash if found else dummy_hash()
        ok = await asyncio.to_thread(verify_password, password, stored)
        if found is None or not ok:
            raise LoginFailed()
        self.limiter.succeeded(client, name, now)
        return Principal(found.name, Scope.ADMIN if found.is_admin else Scope.READ, "user")

    # --- management (CLI) -------------------------------------------------------------------

    async def create_token(self, name: str, scope: Scope, *, secret: str | None = None) -> str:
        """A new token (or `secret`, one the operator chose) under `name`; only its hash is kept."""
        _check_name(name, "name")
        token = secret or new_token()
        async with self.db.write() as conn:
            if not await tokens.create(conn, name, scope.value, token_hash(token), self.clock()):
                raise ConflictError(f"a token named {name!r} already exists; revoke it first")
        self.invalidate()
        return token

    async def revoke_token(self, name: str) -> None:
        async with self.db.write() as conn:
            if not await tokens.revoke(conn, name, self.clock()):
                raise NotFoundError(f"no active token named {name!r}")
        self.invalidate()

    async def list_tokens(self) -> list[tokens.TokenRecord]:
        async with self.db.read() as conn:
            return await tokens.list_all(conn)

    async def add_user(self, name: str, password: str, *, admin: bool = True) -> None:
        _check_name(name, "name")
        if len(password) < 8:
            raise InputError("the password is too short", [Problem("password", "at least 8 characters")])
        hashed = await asyncio.to_thread(hash_password, password)
        async with self.db.write() as conn:
            if not await users.add(conn, name, hashed, admin, self.clock()):
                raise ConflictError(f"a user named {name!r} already exists")
        self.invalidate()

    async def remove_user(self, name: str) -> None:
        """The user and, in the same transaction, every session they have open, on every instance."""
        async with self.db.write() as conn:
            await session_store.remove_for_user(conn, name)
            if not await users.remove(conn, name):
                raise NotFoundError(f"no user named {name!r}")
        self.invalidate()

    async def list_users(self) -> list[users.UserRecord]:
        async with self.db.read() as conn:
            return await users.list_all(conn)

    async def changed_for_senders(self, change: Awaitable[T]) -> tuple[T, str]:
        """Run `change` (a user or token created) and say what it did to senders that send no token."""
        before = self.access(await self.reload(self._snapshot))
        done = await change
        self.invalidate()
        return done, senders_notice(before, self.access(await self.reload()))

    async def has_credentials(self) -> bool:
        return (await self.reload(self._snapshot)).enabled


class LoginFailed(InputError):
    status = 401

    def __init__(self) -> None:
        super().__init__("wrong user name or password")


class TooManyAttempts(InputError):
    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins; try again in {int(retry_after) + 1} s")
        self.retry_after = retry_after


def _lookup(snap: Snapshot, digest: str) -> Principal | None:
    # Found by the hash of a 256-bit token, so a lookup's timing tells an attacker nothing usable; the
    # final comparison is constant-time all the same.
    entry = snap.tokens.get(digest)
    if entry is None:
        return None
    stored, principal = entry
    return principal if same_secret(stored, digest) else None


def _check_name(name: str, where: str) -> None:
    if not re.fullmatch(NAME_PATTERN, name):
        raise InputError(f"invalid {where} {name!r}", [Problem(where, "1-100 characters: letters, digits, _ . @ -")])
