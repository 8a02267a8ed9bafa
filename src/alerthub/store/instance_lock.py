"""SQLite is single-instance: a second `alerthub serve` on the same file must refuse to start.

Two processes writing one SQLite file would each serialise their own writers, run their own group
timers and claim the same outbox rows with no lease between them: duplicate notifications at best.
An OS file lock (`flock` on `<database>.lock`) held for the life of the process is the guard: the
kernel drops it when the process dies, even by SIGKILL, so a crash never leaves a stale lock behind.
PostgreSQL needs no such guard: there several instances coordinate through row locks and leases.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import make_url

from alerthub.errors import AlerthubError


class InstanceLockedError(AlerthubError):
    """Another alerthub process already serves this SQLite database."""


def sqlite_file(url: str) -> Path | None:
    """The database file a SQLite URL names; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).resolve()


class InstanceLock:
    """Hold `<database>.lock` exclusively; `acquire` raises InstanceLockedError when it is taken."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise InstanceLockedError(
                f"another alerthub process{holder} is already serving the SQLite database {self.database}; "
                "SQLite allows one instance. Stop the other process, or use PostgreSQL (storage.url) "
                "to run several instances or roles."
            ) from None
        # The pid is only for the message above; the lock itself is the flock, not the file's content.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
