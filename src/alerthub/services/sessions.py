"""Browser sessions that can end before their cookie does.

The cookie is signed (services/credentials.py) and names a row in the database by a random id. Every
cookie-authenticated request reads that row (one primary-key lookup, joined with its user), so a logout,
a `users remove` or an idle timeout ends the session at once on every instance sharing the database.
Activity is written at most once a minute per session, not on every request.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from alerthub.config.models import AuthConfig
from alerthub.domain.clock import Clock
from alerthub.services.credentials import Principal, Scope, Session, new_session_id, token_hash
from alerthub.store import sessions as store
from alerthub.store.database import Database

# How stale `last_seen_at` may get before a request records activity: the idle timeout is therefore
# enforced to within this much, and a busy dashboard costs one small write a minute.
TOUCH_EVERY = timedelta(minutes=1)


class SessionService:
    def __init__(self, db: Database, config: AuthConfig, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    @property
    def lifetime(self) -> timedelta:
        return self.config.session_max_age

    @property
    def idle_timeout(self) -> timedelta:
        return self.config.session_idle_timeout

    async def start(self, user: str) -> Session | None:
        """A new session (and CSRF token) for `user`, who has just proved their password; None when the
        user was removed in the meantime. Sessions nobody can use any more are cleared out here."""
        now = self.clock()
        sid = new_session_id()
        expires = now + self.lifetime
        async with self.db.write() as conn:
            await store.prune(conn, now, now - self.idle_timeout)
            if not await store.create(conn, token_hash(sid), user, now, expires):
                return None
        return Session(user, secrets.token_urlsafe(24), int(expires.timestamp()), sid)

    async def resume(self, session: Session | None) -> Principal | None:
        """The user a cookie's session belongs to, if that session is still live."""
        if session is None or session.sid is None or session.user is None:
            return None
        digest = token_hash(session.sid)
        now = self.clock()
        async with self.db.read() as conn:
            row = await store.get(conn, digest)
        if row is None or row.user_name != session.user or not self._live(row, now):
            return None
        every = min(TOUCH_EVERY, self.idle_timeout / 4)  # a short idle timeout must not outrun the touches
        if now - row.last_seen_at >= every:
            async with self.db.write() as conn:
                await store.touch(conn, digest, now, now - every)
        return Principal(row.user_name, Scope.ADMIN if row.is_admin else Scope.READ, "user")

    async def end(self, session: Session | None) -> None:
        """Logout: the session's row is revoked, so its cookie is worth nothing anywhere from now on."""
        if session is None or session.sid is None:
            return
        async with self.db.write() as conn:
            await store.revoke(conn, token_hash(session.sid), self.clock())

    def _live(self, row: store.SessionRecord, now: datetime) -> bool:
        return row.revoked_at is None and now < row.expires_at and now - row.last_seen_at < self.idle_timeout
