"""The cryptography of access control, with no I/O: password hashing, API tokens, signed session cookies."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

import orjson

# scrypt at N=2^15, r=8: about 32 MiB and a few tens of milliseconds per guess (OWASP's floor is N=2^17
# at r=8 for interactive logins on big servers; this hub also runs on small boxes). Stored with the hash,
# so raising it later only affects new hashes.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
TOKEN_PREFIX = "ah_"  # noqa: S105 - marks our tokens for secret scanners


class Scope(StrEnum):
    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"

    def allows(self, required: Scope) -> bool:
        return self is Scope.ADMIN or self is required


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a request. `str()` is the name the alert history records as the actor."""

    name: str
    scope: Scope
    kind: str  # "token" | "user"

    def __str__(self) -> str:
        return self.name


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, n: int = _SCRYPT_N) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=_SCRYPT_MAXMEM)
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        expected = _unb64(key)
        actual = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """Verifying against this when the user does not exist makes "no such user" cost as much as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 is enough: the token has 256 bits of entropy, so there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    """A browser session: `user` is None before login (the session then only carries the CSRF token).
    A logged-in session also carries `sid`, the random id of its row in the database: the signature
    alone proves nothing about whether it was logged out, removed or left idle (services/sessions.py)."""

    user: str | None
    csrf: str = field(repr=False)
    expires: int  # unix seconds
    sid: str | None = field(default=None, repr=False)

    @classmethod
    def anonymous(cls, now: float, lifetime: float) -> Session:
        return cls(None, secrets.token_urlsafe(24), int(now + lifetime))


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


class SessionCodec:
    """`v1.<payload>.<hmac>`: the signature keeps forged and garbled cookies from reaching the database."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"alerthub-session:" + secret.encode()).digest()

    def encode(self, session: Session) -> str:
        fields = {"u": session.user, "c": session.csrf, "e": session.expires, "s": session.sid}
        payload = _b64(orjson.dumps(fields))
        return f"v1.{payload}.{self._sign(payload)}"

    def decode(self, cookie: str, now: float) -> Session | None:
        try:
            version, payload, signature = cookie.split(".")
        except ValueError:
            return None
        if version != "v1" or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            data = orjson.loads(_unb64(payload))
            sid = data.get("s")
            session = Session(data["u"], str(data["c"]), int(data["e"]), str(sid) if sid else None)
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > now else None

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
