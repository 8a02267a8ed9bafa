"""Checking that a webhook comes from who it claims: HMAC signatures and shared tokens.

Every comparison is constant time (`hmac.compare_digest`), so a caller cannot learn a secret one
byte at a time from how long a rejection takes.
"""

from __future__ import annotations

import hashlib
import hmac

from alerthub.errors import AuthenticationError, Problem


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    """Sentry's `Sentry-Hook-Signature`: HMAC-SHA256 of the raw body, keyed by the client secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, signature: str | None) -> bool:
    """True when `signature` is the hex HMAC-SHA256 of exactly these bytes.

    Verify the bytes received, never a re-serialisation: Sentry's compact separators and
    `\\uXXXX` escapes would not survive a round trip through a JSON parser.
    """
    if not signature:
        return False
    expected = hmac_sha256_hex(secret, body).encode()
    return hmac.compare_digest(expected, signature.strip().lower().encode())


def token_matches(expected: str | None, given: str | None) -> bool:
    """A shared secret compared in constant time; an unset expectation matches nothing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def require_token(given: str | None, expected: str | None, key: str, how: str) -> None:
    """A shared-token webhook: refused while `key` is unset (fail closed), else the token must match."""
    if not expected:
        raise AuthenticationError(
            f"this webhook is refused until {key} is set; then send the token as {how} or ?token=",
            [Problem(key, "not configured")],
        )
    if not token_matches(expected, given):
        raise AuthenticationError(
            f"missing or wrong webhook token (expected the value of {key} as {how} or ?token=)",
            [Problem("headers.authorization", "missing or wrong token")],
        )
