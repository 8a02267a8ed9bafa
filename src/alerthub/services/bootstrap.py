"""A first admin for a fresh database, from the environment (ALERTHUB_ADMIN_TOKEN, ALERTHUB_ADMIN_PASSWORD),
so a container can come up protected with no `tokens create` step. Only while no token or user exists:
running it again, or on every replica at once, changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from alerthub.errors import ConflictError, InputError, Problem
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope

logger = logging.getLogger("alerthub.bootstrap")

ADMIN_NAME = "admin"
TOKEN_VARIABLE = "ALERTHUB_ADMIN_TOKEN"  # noqa: S105 (a variable name)
PASSWORD_VARIABLE = "ALERTHUB_ADMIN_PASSWORD"  # noqa: S105 (a variable name)
# A guessable bootstrap token would be the whole hub's key: at least a 128-bit random string's length.
MIN_TOKEN_LENGTH = 24


def bootstrap_problems(env: Mapping[str, str]) -> list[Problem]:
    token = env.get(TOKEN_VARIABLE, "")
    if token and len(token) < MIN_TOKEN_LENGTH:
        return [Problem(TOKEN_VARIABLE, f"at least {MIN_TOKEN_LENGTH} characters (e.g. `openssl rand -hex 32`)")]
    password = env.get(PASSWORD_VARIABLE, "")
    if password and len(password) < 8:
        return [Problem(PASSWORD_VARIABLE, "at least 8 characters")]
    return []


async def bootstrap_admin(auth: AuthService, env: Mapping[str, str]) -> None:
    """Create token and/or user `admin` from the environment when the database has no credentials;
    says what it did, or why it did nothing, in the log."""
    token, password = env.get(TOKEN_VARIABLE, ""), env.get(PASSWORD_VARIABLE, "")
    if not (token or password):
        return
    if await auth.has_credentials():
        logger.info("credentials exist: %s/%s left unused (they only seed an empty database)",
                    TOKEN_VARIABLE, PASSWORD_VARIABLE)  # fmt: skip
        return
    try:
        if token:
            await auth.create_token(ADMIN_NAME, Scope.ADMIN, secret=token)
            logger.warning("created admin API token %r from %s", ADMIN_NAME, TOKEN_VARIABLE)
        if password:
            await auth.add_user(ADMIN_NAME, password)
            logger.warning("created admin user %r from %s", ADMIN_NAME, PASSWORD_VARIABLE)
    except ConflictError:
        # Another replica seeded the same empty database a moment earlier.
        logger.info("another instance created the first admin at the same time")
    except InputError as exc:
        raise InputError(f"cannot create the first admin: {exc.message}", exc.problems) from None
