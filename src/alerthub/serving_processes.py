"""`server.workers` > 1: several worker processes on one port, so one server uses every core.

Python runs one thread of bytecode at a time, and one process saturates one core well below what
the machine can ingest (bench/NOTES.md). On PostgreSQL several instances already share one database
safely: row locks and `SKIP LOCKED` for the pipeline and the outbox, leases for the loops that must
run once, the broadcast for live pages and reloads. So each worker is a whole instance, and this
module only makes them one server:

* The parent binds the port and forks the workers, each of which listens on it (SO_REUSEPORT): the
  kernel hands each connection to one of them. The parent serves nothing; it supervises.
* SIGTERM or SIGINT to the parent stops every worker the way `serve` stops (requests in flight finish,
  loops finish the item in hand). SIGHUP reaches one worker, whose reload the broadcast takes to the
  others, as it does for `POST /-/reload` answered by any worker.
* A worker that exits on its own takes the server down with a non-zero status, for the supervisor
  above (systemd, Docker) to restart: a server quietly running on fewer workers is a silent failure.
  If the parent dies, even by SIGKILL, the kernel kills the workers (PR_SET_PDEATHSIG on Linux; a
  watch on the parent's pid elsewhere).
* /metrics answered by any worker covers all of them (telemetry_peers.py).

SQLite has one writing process (store/instance_lock.py), so there `server.workers` must be 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn
from prometheus_client import CollectorRegistry

from alerthub.roles import Role
from alerthub.telemetry_peers import PeerMetrics

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
PARENT_WATCH_INTERVAL = 1.0


# In a forked worker: serve `listener` as one whole instance, telling siblings' scrapes on `peers`; watch
# `parent`'s pid when not None (the kernel does not kill this worker with it). Returns the exit status.
WorkerMain = Callable[[socket.socket, PeerMetrics, int | None], int]


def serve_processes(*, host: str, port: int, role: Role, workers: int, main: WorkerMain) -> int:
    """Run `workers` worker processes until SIGTERM/SIGINT; the exit status."""
    reserved = port_socket(host, port, listen=not BALANCED)
    bound = reserved.getsockname()[1]
    logger.info("alerthub starting: role=%s listen=%s:%d workers=%d", role.value, host, bound, workers)
    sockets = _sockets_dir(Path(tempfile.gettempdir()))
    paths = [sockets / f"{i}.sock" for i in range(workers)]
    parent = os.getpid()
    children: dict[int, int] = {}
    supervisor = _Supervisor(children)  # handling signals before the first fork: none is missed
    try:
        for index, path in enumerate(paths):
            pid = os.fork()
            if pid == 0:
                peers = PeerMetrics(path, [p for p in paths if p != path])
                os._exit(_in_worker(main, reserved, peers, parent))
            children[pid] = index
            if supervisor.stopping:  # the stop came while the others were being started
                _signal_all({pid: index}, signal.SIGTERM)
        return supervisor.wait()
    finally:
        if os.getpid() == parent:
            reserved.close()
            shutil.rmtree(sockets, ignore_errors=True)


_SOCKETS_PREFIX = "alerthub-workers-"


def _sockets_dir(under: Path) -> Path:
    """A directory of the workers' metrics sockets (mode 0700), named with this process's pid. A parent
    killed by SIGKILL cannot remove its own: the next start removes those of ours whose pid is gone."""
    for stale in under.glob(f"{_SOCKETS_PREFIX}*-*"):
        pid = stale.name.removeprefix(_SOCKETS_PREFIX).split("-", 1)[0]
        with contextlib.suppress(OSError, ValueError):
            if stale.stat().st_uid == os.getuid() and not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{_SOCKETS_PREFIX}{os.getpid()}-", dir=under))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: alive
    return True


# Where the kernel spreads connections over sockets bound to one port with SO_REUSEPORT (Linux), each
# worker listens on its own: on one shared socket whichever worker wakes first accepts most of a burst
# of connections (bench/NOTES.md measured 93 % of the work on one of two workers). Elsewhere they share.
BALANCED = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def port_socket(host: str, port: int, *, listen: bool) -> socket.socket:
    """Bound before any worker starts, so a taken port fails `serve` at once; listening unless each worker
    listens on its own (BALANCED), when this one only holds the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if BALANCED:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Supervisor:
    """The parent's part: forward stops and reloads, and reap the workers."""

    def __init__(self, children: dict[int, int]) -> None:
        self.children = children
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._reload)

    def _stop(self, signum: int, _: FrameType | None) -> None:
        self.stopping = True
        _signal_all(self.children, signal.SIGTERM)

    def _reload(self, signum: int, _: FrameType | None) -> None:
        if self.children:
            os.kill(min(self.children), signal.SIGHUP)

    def wait(self) -> int:
        """Until every worker has exited; the server's exit status."""
        status = 0
        while self.children:
            pid, wait_status = os.wait()
            index = self.children.pop(pid, None)
            if index is None:
                continue
            code = os.waitstatus_to_exitcode(wait_status)
            if not self.stopping:
                logger.error("worker %d (pid %d) exited with status %d: stopping the server", index, pid, code)
                self.stopping = True
                status = 1
                _signal_all(self.children, signal.SIGTERM)
            elif code not in (0, -signal.SIGTERM):  # uvicorn ends by raising the SIGTERM it was stopped with
                status = 1
        logger.info("alerthub stopped")
        return status


def _signal_all(children: dict[int, int], signum: int) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _in_worker(main: WorkerMain, reserved: socket.socket, peers: PeerMetrics, parent: int) -> int:
    try:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        # Its own process group: a terminal's Ctrl-C reaches the parent alone, which stops each worker
        # once (a second signal would make uvicorn skip the graceful shutdown).
        os.setpgid(0, 0)
        watched = not _die_with_parent(parent)
        if BALANCED:
            host, port = reserved.getsockname()[:2]
            reserved.close()
            reserved = port_socket(host, port, listen=True)
        return main(reserved, peers, parent if watched else None)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except Exception:  # the process boundary: say why, then exit non-zero
        logger.exception("worker %d stopped by an error", os.getpid())
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


class WorkerServer(uvicorn.Server):
    """uvicorn's server, which in a worker also answers the siblings' scrapes on its own socket and, where
    the kernel will not, watches the parent (`parent` not None). `run` is uvicorn's own, with its own
    choice of event loop."""

    def __init__(
        self, config: uvicorn.Config, peers: PeerMetrics, registry: CollectorRegistry, parent: int | None
    ) -> None:
        super().__init__(config)
        self.peers = peers
        self.registry = registry
        self.parent = parent

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        answering = await self.peers.answer_siblings(self.registry)
        watch = None if self.parent is None else asyncio.create_task(_watch_parent(self.parent))
        try:
            await super().serve(sockets=sockets)
        finally:
            if watch is not None:
                watch.cancel()
            answering.close()


async def _watch_parent(parent: int) -> None:
    """Where the kernel cannot be asked to kill a worker with its parent: notice, and exit at once."""
    while os.getppid() == parent:  # no event tells of a parent's death; its pid does
        await asyncio.sleep(PARENT_WATCH_INTERVAL)
    logger.error("the supervising process %d is gone: worker %d exits", parent, os.getpid())
    os._exit(1)


def _die_with_parent(parent: int) -> bool:
    """Ask the kernel to kill this worker when the parent dies; whether it will."""
    library = ctypes.util.find_library("c")
    asked = False
    if sys.platform.startswith("linux") and library:
        asked = ctypes.CDLL(library, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(1)
    return asked
