"""Which database errors mean "the database is away" (503, retry) and which are bugs or bad data.

asyncpg's errors reach SQLAlchemy as a plain DBAPIError carrying the SQLSTATE, so the class alone
cannot tell; tests/faults/test_postgres_restart.py shows the real thing against a restarting server."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from alerthub.errors import StoreUnavailableError
from alerthub.store.database import _unavailable_as_503


class DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _wrapped(orig: BaseException, kind: type[DBAPIError] = DBAPIError) -> DBAPIError:
    return kind("SELECT 1", None, orig)  # type: ignore[arg-type]


async def _raise_through(error: BaseException) -> None:
    async with _unavailable_as_503():
        raise error


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(DriverError("the database system is starting up", "57P03")),
        _wrapped(DriverError("terminating connection due to administrator command", "57P01")),
        _wrapped(DriverError("connection was closed in the middle of operation", "08003")),
        _wrapped(DriverError("sorry, too many clients already", "53300")),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("connect timed out"),
        _wrapped(OSError("reset by peer")),
        _wrapped(DriverError("server closed the connection unexpectedly"), OperationalError),
    ],
    ids=[
        "starting-up",
        "admin-shutdown",
        "connection-closed",
        "too-many-clients",
        "refused",
        "timeout",
        "os-error-inside",
        "sqlite-open",
    ],  # fmt: skip
)
async def test_connection_loss_is_unavailable(error: BaseException) -> None:
    with pytest.raises(StoreUnavailableError):
        await _raise_through(error)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(DriverError("duplicate key value violates unique constraint", "23505"), IntegrityError),
        _wrapped(DriverError('syntax error at or near "SELEC"', "42601")),
        _wrapped(DriverError("value out of int64 range", "22003")),
    ],
    ids=["unique-violation", "syntax-error", "out-of-range"],
)
async def test_other_errors_are_not_hidden_as_503(error: DBAPIError) -> None:
    with pytest.raises(type(error)):
        await _raise_through(error)
